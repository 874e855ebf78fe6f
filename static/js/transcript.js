// Transcripts beside the players (issue 16). Each word is a [data-seek] button
// (report.js and workbench.js seek the answer's player with it); here each
// transcript becomes one Tab stop whose words the arrow keys move through, and
// the word being said is marked while the recording plays.
(function () {
  "use strict";
  var MOVES = { ArrowRight: 1, ArrowLeft: -1 };

  Array.prototype.forEach.call(document.querySelectorAll("[data-transcript]"), function (box) {
    var words = Array.prototype.slice.call(box.querySelectorAll("[data-seek]"));
    if (!words.length) {
      return;
    }
    var active = 0;
    function makeActive(index) {
      words[active].tabIndex = -1;
      active = index;
      words[active].tabIndex = 0;
    }
    words.forEach(function (word, index) {
      word.tabIndex = index === 0 ? 0 : -1;
    });

    box.addEventListener("keydown", function (event) {
      var index = words.indexOf(event.target);
      if (index < 0) {
        return;
      }
      var next;
      if (event.key in MOVES) {
        next = index + MOVES[event.key];
      } else if (event.key === "Home") {
        next = 0;
      } else if (event.key === "End") {
        next = words.length - 1;
      } else {
        return;
      }
      event.preventDefault();
      makeActive(Math.max(0, Math.min(words.length - 1, next)));
      words[active].focus();
    });
    box.addEventListener("click", function (event) {
      var index = words.indexOf(event.target.closest("[data-seek]"));
      if (index >= 0) {
        makeActive(index);
      }
    });

    var section = box.closest("[data-answer]");
    var video = section && section.querySelector("[data-player]");
    if (!video) {
      return;
    }
    var spoken = null;
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      var found = null;
      for (var i = 0; i < words.length; i++) {
        var start = parseFloat(words[i].getAttribute("data-seek"));
        var end = parseFloat(words[i].getAttribute("data-end"));
        if (start > now) {
          break;
        }
        if (now < end) {
          found = words[i];
        }
      }
      if (found !== spoken) {
        if (spoken) {
          spoken.classList.remove("is-spoken");
        }
        if (found) {
          found.classList.add("is-spoken");
        }
        spoken = found;
      }
    });
  });
})();
