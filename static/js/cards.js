// Course cards update themselves while one of them waits on an approver: every
// few seconds the page asks for the card states and swaps only what changed.
(function () {
  "use strict";
  var grid = document.querySelector("[data-card-states-url]");
  if (!grid || !window.fetch || !window.portalPoll) {
    return;
  }
  var url = grid.getAttribute("data-card-states-url");
  var seconds = parseInt(grid.getAttribute("data-poll-seconds"), 10) || 12;
  var live = document.getElementById("card-updates");

  function anyWaiting() {
    return grid.querySelector('[data-waiting="true"]') !== null;
  }

  function apply(data) {
    var news = [];
    Object.keys(data.cards).forEach(function (slug) {
      var info = data.cards[slug];
      var card = document.getElementById("course-" + slug);
      if (!card) {
        return;
      }
      var state = card.querySelector("[data-card-state]");
      if (state && state.getAttribute("data-state-key") !== info.key) {
        var holder = document.createElement("div");
        holder.innerHTML = info.html;
        state.replaceWith(holder.firstElementChild);
        var title = card.querySelector(".card-title");
        news.push((title ? title.textContent : slug) + ": " + info.badge);
      }
      card.setAttribute("data-waiting", info.waiting ? "true" : "false");
    });
    if (news.length && live) {
      live.textContent = "Updated. " + news.join(". ");
    }
  }

  window.portalPoll({ url: url, seconds: seconds, waiting: anyWaiting, apply: apply });
})();
