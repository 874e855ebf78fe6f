// The review workbench: playback speed, "comment at current time", comment
// times that seek, and keyboard shortcuts (space/K play-pause, J/L -+10 s,
// N next answer). Without JavaScript the forms still work: the time is typed.
(function () {
  "use strict";
  var answers = Array.prototype.slice.call(document.querySelectorAll("[data-answer]"));
  if (!answers.length) {
    return;
  }
  var current = 0;
  // Unsaved ratings, scores or review text: warn before leaving the page.
  var review = document.getElementById("review-form");
  var dirty = false;
  if (review) {
    document.addEventListener("input", function (event) {
      if (event.target.form === review) {
        dirty = true;
      }
    });
    review.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  function player(section) {
    return section.querySelector("[data-player]");
  }

  answers.forEach(function (section, index) {
    var video = player(section);
    section.addEventListener("focusin", function () { current = index; });
    section.addEventListener("pointerdown", function () { current = index; });
    if (video) {
      video.addEventListener("play", function () { current = index; });
    }

    var speeds = section.querySelector("[data-speeds]");
    if (speeds && video) {
      speeds.hidden = false;
      speeds.addEventListener("click", function (event) {
        var button = event.target.closest("[data-speed]");
        if (!button) {
          return;
        }
        video.playbackRate = parseFloat(button.getAttribute("data-speed"));
        speeds.querySelectorAll("[data-speed]").forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
      });
    }

    var now = section.querySelector("[data-current-time]");
    var form = section.querySelector("[data-comment-form]");
    if (now && form && video) {
      now.hidden = false;
      now.addEventListener("click", function () {
        video.pause();
        var at = form.querySelector('input[name$="at_seconds"]');
        at.value = video.currentTime.toFixed(1);
        form.querySelector("textarea").focus();
      });
    }

    section.addEventListener("click", function (event) {
      var seek = event.target.closest("[data-seek]");
      if (seek && video) {
        video.currentTime = parseFloat(seek.getAttribute("data-seek"));
        video.play().catch(function () {});
      }
    });
  });

  function typing(target) {
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" ||
      target.isContentEditable;
  }

  function nextAnswer() {
    var link = document.querySelector("[data-next-answer]");
    if (answers.length === 1 && link) {
      window.location.href = link.href; // the browser asks first when unsaved
      return;
    }
    var video = player(answers[current]);
    if (video) {
      video.pause();
    }
    current = (current + 1) % answers.length;
    var heading = answers[current].querySelector("h2");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
    answers[current].scrollIntoView({ block: "start" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key.toLowerCase();
    var video = player(answers[current]);
    if (key === "n") {
      event.preventDefault();
      nextAnswer();
      return;
    }
    if (!video) {
      return;
    }
    if (key === " " || key === "k") {
      // Space on a focused button or the player already acts on it.
      if (key === " " && (event.target.tagName === "BUTTON" || event.target === video)) {
        return;
      }
      event.preventDefault();
      if (video.paused) {
        video.play().catch(function () {});
      } else {
        video.pause();
      }
    } else if (key === "j") {
      video.currentTime = Math.max(0, video.currentTime - 10);
    } else if (key === "l") {
      video.currentTime = Math.min(video.duration || Infinity, video.currentTime + 10);
    }
  });
})();
