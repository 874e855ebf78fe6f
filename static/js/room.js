// The interview room: device check, consent, then one recorded answer per question.
// Answers upload as the raw request body (streamed to disk by the server).
(function () {
  "use strict";

  var root = document.getElementById("room");
  if (!root) return;
  root.hidden = false;

  var PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
  var RETRY_DELAYS = [1000, 2000, 4000, 8000];
  var STEPS = ["step-device", "step-consent", "step-question", "step-done"];
  var PHASES = ["prepare", "record", "review", "upload"];

  function $(id) { return document.getElementById(id); }
  var csrfToken = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusBox = $("room-status");
  var errorBox = $("room-error");

  var stream = null;
  var mimeType = "";
  var state = null;
  var current = null;
  var retakesLeft = 0;
  var answerBlob = null;
  var answerSeconds = 0;
  var session = null;
  var practice = null;
  var prepTimer = null;
  var audioContext = null;
  var resumeNote = "";

  function say(text) { statusBox.textContent = text; }
  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }
  function show(stepId) {
    STEPS.forEach(function (id) { $(id).hidden = id !== stepId; });
    var heading = $(stepId).querySelector("h2");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
  function phase(name) {
    PHASES.forEach(function (p) { $("phase-" + p).hidden = p !== name; });
  }
  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function pickMimeType() {
    var candidates = ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
    for (var i = 0; i < candidates.length; i++) {
      if (MediaRecorder.isTypeSupported(candidates[i])) return candidates[i];
    }
    return "";
  }

  function fetchState() {
    return fetch(root.dataset.stateUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("The room could not load (" + response.status + ").");
      return response.json();
    });
  }

  // ---- 1. Device check ----

  function deviceError(err) {
    $("device-retry").hidden = false;
    if (err.name === "NotAllowedError" || err.name === "SecurityError") {
      return "You blocked the camera or microphone. Allow both for this site in your " +
        "browser's settings (the camera icon in the address bar), then press " +
        "\u201cTry the camera again\u201d.";
    }
    if (err.name === "NotFoundError" || err.name === "OverconstrainedError") {
      return "No camera or microphone was found. Connect one, then press " +
        "\u201cTry the camera again\u201d.";
    }
    if (err.name === "NotReadableError" || err.name === "AbortError") {
      return "Your camera or microphone is busy in another application. Close it, " +
        "then press \u201cTry the camera again\u201d.";
    }
    return "The camera could not start (" + err.name + "). Try again, or use another browser.";
  }

  function startMeter() {
    var AudioCtx = window.AudioContext || window.webkitAudioContext;
    if (!AudioCtx || !stream.getAudioTracks().length) return;
    audioContext = new AudioCtx();
    var analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    var meter = $("mic-level");
    setInterval(function () {
      analyser.getByteTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) {
        var v = (samples[i] - 128) / 128;
        sum += v * v;
      }
      meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    }, 100);
  }

  function startDevices() {
    showError("");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("This browser cannot use a camera here. Use a recent Chrome, Edge, " +
        "Firefox or Safari, on a secure (https) page.");
      return;
    }
    if (typeof window.MediaRecorder === "undefined") {
      showError("This browser cannot record video. Use a recent Chrome, Edge or " +
        "Firefox, or update Safari.");
      return;
    }
    say("Asking for your camera and microphone\u2026");
    navigator.mediaDevices
      .getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: true })
      .then(function (media) {
        stream = media;
        mimeType = pickMimeType();
        $("device-retry").hidden = true;
        $("preview").srcObject = stream;
        startMeter();
        $("device-ok").disabled = false;
        $("practice-start").disabled = false;
        say("Your camera and microphone are working." + (resumeNote ? " " + resumeNote : ""));
      })
      .catch(function (err) {
        say("");
        showError(deviceError(err));
      });
  }

  // Records up to maxSeconds; onTick(elapsed) runs four times a second.
  function startRecorder(maxSeconds, onTick) {
    var chunks = [];
    var recorder = new MediaRecorder(stream, mimeType ? { mimeType: mimeType } : undefined);
    var started = Date.now();
    var elapsed = function () { return (Date.now() - started) / 1000; };
    recorder.ondataavailable = function (event) {
      if (event.data && event.data.size) chunks.push(event.data);
    };
    var done = new Promise(function (resolve) {
      recorder.onstop = function () {
        var type = (recorder.mimeType || mimeType || "video/webm").split(";")[0];
        resolve(new Blob(chunks, { type: type }));
      };
    });
    var ticker = setInterval(function () {
      onTick(elapsed());
      if (elapsed() >= maxSeconds) stop();
    }, 250);
    function stop() {
      clearInterval(ticker);
      if (recorder.state !== "inactive") recorder.stop();
    }
    recorder.start(1000);
    onTick(0);
    return { stop: stop, done: done, elapsed: elapsed };
  }

  $("practice-start").addEventListener("click", function () {
    if (audioContext) audioContext.resume();
    $("practice-start").hidden = true;
    $("practice-stop").hidden = false;
    $("practice-playback").hidden = true;
    practice = startRecorder(30, function (t) {
      say("Practice recording: " + clock(t) + " of 0:30");
    });
    practice.done.then(function (blob) {
      var player = $("practice-playback");
      if (player.src) URL.revokeObjectURL(player.src);
      player.src = URL.createObjectURL(blob);
      player.hidden = false;
      $("practice-stop").hidden = true;
      $("practice-start").hidden = false;
      say("Practice recorded. Play it back to check how you look and sound.");
    });
  });
  $("practice-stop").addEventListener("click", function () { if (practice) practice.stop(); });
  $("device-retry").addEventListener("click", startDevices);

  $("device-ok").addEventListener("click", function () {
    if (audioContext) audioContext.resume();
    if (practice) practice.stop();
    showError("");
    say("");
    if (state && state.consent_given) {
      nextQuestion();
    } else {
      show("step-consent");
    }
  });

  // ---- 2. Consent ----

  $("consent-accept").addEventListener("click", function () {
    var button = $("consent-accept");
    button.disabled = true;
    fetch(root.dataset.consentUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        button.disabled = false;
        if (!body.consent_given) {
          showError("The interview room has closed, so the interview cannot start.");
          return;
        }
        state.consent_given = true;
        nextQuestion();
      })
      .catch(function () {
        button.disabled = false;
        showError("Your answer could not be saved. Check your connection and try again.");
      });
  });

  // ---- 3. The questions ----

  function nextQuestion() {
    showError("");
    var index = -1;
    for (var i = 0; i < state.questions.length; i++) {
      if (!state.questions[i].answered) { index = i; break; }
    }
    if (index === -1) { finish(); return; }
    current = state.questions[index];
    retakesLeft = state.retakes;
    $("question-title").textContent =
      "Question " + (index + 1) + " of " + state.questions.length;
    $("question-text").textContent = current.text;
    $("live").srcObject = stream;
    show("step-question");
    prepare();
  }

  function prepare() {
    phase("prepare");
    var left = current.preparation_seconds;
    if (left <= 0) { startAnswer(); return; }
    $("timer").textContent = "Preparation: " + clock(left);
    say("Preparation time: " + left + " seconds. Recording starts when it ends.");
    prepTimer = setInterval(function () {
      left -= 1;
      $("timer").textContent = "Preparation: " + clock(left);
      if (left <= 0) startAnswer();
    }, 1000);
  }

  function startAnswer() {
    clearInterval(prepTimer);
    phase("record");
    say("Recording. Press Stop when you have finished.");
    var max = current.max_answer_seconds;
    session = startRecorder(max, function (t) {
      $("timer").textContent = "Recording " + clock(t) + " / " + clock(max);
    });
    session.done.then(function (blob) {
      answerSeconds = Math.min(session.elapsed(), max);
      answerBlob = blob;
      review();
    });
  }

  function review() {
    phase("review");
    var player = $("playback");
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(answerBlob);
    $("timer").textContent = "Your answer: " + clock(answerSeconds);
    $("retake").hidden = retakesLeft <= 0;
    $("retakes-left").textContent = retakesLeft > 0
      ? "You can retake this answer " + retakesLeft + " more time" + (retakesLeft === 1 ? "" : "s") + "."
      : "No retakes left: submit this answer.";
    say("Recording stopped. Play it back, then submit it" + (retakesLeft > 0 ? " or retake it." : "."));
  }

  $("start-now").addEventListener("click", startAnswer);
  $("stop").addEventListener("click", function () { if (session) session.stop(); });
  $("retake").addEventListener("click", function () {
    if (retakesLeft <= 0) return;
    retakesLeft -= 1;
    answerBlob = null;
    prepare();
  });
  $("submit").addEventListener("click", upload);
  $("retry-upload").addEventListener("click", upload);

  function sendOnce(url, blob) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken);
      xhr.setRequestHeader("Content-Type", blob.type || "application/octet-stream");
      xhr.setRequestHeader("X-Duration", answerSeconds.toFixed(1));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          $("upload-progress").value = Math.round((event.loaded / event.total) * 100);
        }
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        resolve({ status: xhr.status, body: body });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        resolve({ status: 0, body: {} });
      };
      xhr.send(blob);
    });
  }

  function upload() {
    if (!answerBlob) return;
    showError("");
    phase("upload");
    $("retry-upload").hidden = true;
    $("upload-progress").value = 0;
    if (answerBlob.size > state.max_bytes) {
      showError("This answer is too large to upload. Please record a shorter one.");
      phase("review");
      return;
    }
    var url = root.dataset.uploadUrlTemplate.replace(PLACEHOLDER, current.public_id);
    var attempt = 0;
    say("Uploading your answer\u2026");
    (function tryOnce() {
      sendOnce(url, answerBlob).then(function (result) {
        if (result.status === 201) {
          current.answered = true;
          answerBlob = null;
          say("Answer uploaded.");
          if (result.body.completed) finish(); else nextQuestion();
          return;
        }
        if (result.status === 409) {
          // Already answered (perhaps an earlier attempt got through): carry on.
          fetchState().then(function (fresh) { state = fresh; nextQuestion(); });
          return;
        }
        var retriable = result.status === 0 || result.status >= 500 ||
          result.status === 408 || result.status === 429;
        if (retriable && attempt < RETRY_DELAYS.length) {
          var delay = RETRY_DELAYS[attempt];
          attempt += 1;
          say("The upload failed. Trying again in " + delay / 1000 + " s (attempt " + (attempt + 1) + ")\u2026");
          sleep(delay).then(tryOnce);
          return;
        }
        showError(result.body.error ||
          "The upload failed. Check your connection, then press \u201cRetry upload\u201d.");
        say("");
        $("retry-upload").hidden = false;
      });
    })();
  }

  function finish() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    $("room-lead").hidden = true;
    show("step-done");
    say("Interview completed. Thank you.");
  }

  // ---- Start: resume where the student left off ----
  fetchState()
    .then(function (fresh) {
      state = fresh;
      if (state.questions.length && state.questions.every(function (q) { return q.answered; })) {
        finish();
        return;
      }
      var answered = state.questions.filter(function (q) { return q.answered; }).length;
      if (answered) {
        resumeNote = "Welcome back: " + answered + " of " + state.questions.length +
          " answers are already uploaded; you will continue with question " +
          (answered + 1) + ".";
      }
      startDevices();
    })
    .catch(function (err) { showError(err.message); });
})();
