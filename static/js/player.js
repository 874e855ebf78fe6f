// A recording's link lives MEDIA_URL_EXPIRE_SECONDS (a presigned S3 URL, or
// nginx's signed /_media/ link): the player follows the view's redirect once and
// sends every later Range request to the link, so a page kept open longer (a
// recording started, or seeked in, after the link expired) fails with a network
// error. Asking the view again gives a fresh link; the player resumes where it
// was. At most once per RETRY_AFTER_MS, so a link that fails at once is left be.
(function () {
  "use strict";
  var RETRY_AFTER_MS = 10000;

  function reopen(video) {
    var error = video.error;
    if (!error || error.code !== error.MEDIA_ERR_NETWORK) {
      return;
    }
    var last = Number(video.dataset.reopenedAt || 0);
    if (Date.now() - last < RETRY_AFTER_MS) {
      return;
    }
    video.dataset.reopenedAt = String(Date.now());
    var at = video.currentTime;
    var playing = !video.paused;
    video.addEventListener(
      "loadedmetadata",
      function () {
        video.currentTime = at;
        if (playing) {
          video.play().catch(function () {});
        }
      },
      { once: true }
    );
    video.src = video.getAttribute("src"); // the view, which links afresh
    video.load();
  }

  Array.prototype.forEach.call(document.querySelectorAll("video[data-player]"), function (video) {
    video.addEventListener("error", function () {
      reopen(video);
    });
  });
})();
