// The interview room: device check, consent, then one recorded answer per question.
// Each answer uploads while it is recorded: MediaRecorder hands over a slice every
// few seconds and the slice is sent at once, in order, as a chunk of a resumable
// upload (interviews/resumable.py). Slices the server has not acknowledged wait in
// IndexedDB, so a dropped connection, a reload or a crashed tab loses nothing.
(function () {
  "use strict";

  var root = document.getElementById("room");
  if (!root) return;
  root.hidden = false;

  var PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
  var SLICE_MS = 3000;
  var BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
  var REQUEST_TIMEOUT_MS = 30000;
  var RECORDER_OPTIONS = { videoBitsPerSecond: 800000, audioBitsPerSecond: 64000 };
  var STEPS = ["step-device", "step-consent", "step-question", "step-done"];
  var PHASES = ["prepare", "record", "resume", "review", "upload"];
  var interviewId = root.dataset.interview;

  function $(id) { return document.getElementById(id); }
  var csrfToken = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusBox = $("room-status");
  var errorBox = $("room-error");

  var stream = null;
  var mimeType = "";
  var state = null;
  var current = null;
  var take = null;
  var session = null;
  var practice = null;
  var prepTimer = null;
  var audioContext = null;
  var resumeNote = "";
  var wakeLock = null;
  var leftWhileRecording = false;

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
  function urlFor(template, id) { return template.replace(PLACEHOLDER, id); }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function pickMimeType() {
    // WebM first (Chrome, Firefox, Edge); MP4 where WebM cannot be recorded (Safari).
    var candidates = [
      "video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm",
      "video/mp4;codecs=avc1,mp4a", "video/mp4",
    ];
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

  // ---- Slices kept on this device until the server has them (IndexedDB) ----

  var store = (function () {
    var opening = null;
    function open() {
      if (!opening) {
        opening = new Promise(function (resolve) {
          if (!window.indexedDB) { resolve(null); return; }
          var req = indexedDB.open("interview-room", 1);
          req.onupgradeneeded = function () { req.result.createObjectStore("slices"); };
          req.onsuccess = function () { resolve(req.result); };
          req.onerror = function () { resolve(null); };  // private mode: memory only
        });
      }
      return opening;
    }
    function run(mode, work) {
      return open().then(function (db) {
        if (!db) return null;
        return new Promise(function (resolve) {
          var tx = db.transaction("slices", mode);
          var result = work(tx.objectStore("slices"));
          tx.oncomplete = function () { resolve(result && result.result); };
          tx.onerror = tx.onabort = function () { resolve(null); };
        });
      });
    }
    function pad(n) { return ("000000000000" + n).slice(-12); }
    function prefix(question, attempt) {
      return interviewId + "/" + question + "/" + (attempt === undefined ? "" : pad(attempt) + "/");
    }
    function range(p) { return IDBKeyRange.bound(p, p + "\uffff"); }
    return {
      put: function (question, attempt, offset, blob) {
        return run("readwrite", function (s) {
          s.put({ attempt: attempt, offset: offset, blob: blob },
            prefix(question, attempt) + pad(offset));
        });
      },
      remove: function (question, attempt, offset) {
        return run("readwrite", function (s) { s.delete(prefix(question, attempt) + pad(offset)); });
      },
      clear: function (question, attempt) {
        return run("readwrite", function (s) { s.delete(range(prefix(question, attempt))); });
      },
      list: function (question) {
        return run("readonly", function (s) { return s.getAll(range(prefix(question))); })
          .then(function (rows) { return rows || []; });
      },
    };
  })();

  // ---- One take of one answer: its slices, sent in order ----

  function sha256Hex(buffer) {
    return crypto.subtle.digest("SHA-256", buffer).then(function (hash) {
      return Array.prototype.map.call(new Uint8Array(hash), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }

  function post(url, headers, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, REQUEST_TIMEOUT_MS);
    headers["X-CSRFToken"] = csrfToken;
    headers.Accept = "application/json";
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: headers, body: body,
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    }, function () {
      return { status: 0, body: {} };
    }).then(function (result) {
      clearTimeout(timer);
      return result;
    });
  }

  function retriable(result) {
    return result.status === 0 || result.status >= 500 || result.status === 408 ||
      result.status === 429 || result.body.code === "busy" || result.body.code === "bad_checksum" ||
      result.body.code === "interrupted";
  }

  function setReconnecting(on) { $("room-reconnecting").hidden = !on; }

  // A take of `question`: `attempt` is its number on the server, `offset` how much
  // the server already holds of it.
  function Take(question, attempt, offset) {
    this.question = question;
    this.attempt = attempt;
    this.acked = offset;
    this.produced = offset;
    this.queue = [];          // slices not yet acknowledged: {offset, blob}
    this.sending = false;
    this.cancelled = false;
    this.failure = "";
    this.failures = 0;
    this.retryTimer = null;
    this.answerId = question.answer;
    this.seconds = 0;
    this.waiters = [];
  }

  Take.prototype.add = function (blob, keep) {
    var max = state.chunk_max_bytes;
    for (var start = 0; start < blob.size; start += max) {
      var piece = blob.slice(start, Math.min(start + max, blob.size));
      var item = { offset: this.produced, blob: piece };
      this.produced += piece.size;
      this.queue.push(item);
      if (keep !== false) store.put(this.question.public_id, this.attempt, item.offset, piece);
    }
    this.pump();
  };

  // Resolves once every slice is acknowledged, or the take failed or was cancelled.
  Take.prototype.drained = function () {
    var self = this;
    var idle = !this.queue.length || this.failure || this.cancelled;
    if (idle && !this.sending) return Promise.resolve();
    return new Promise(function (resolve) { self.waiters.push(resolve); });
  };

  Take.prototype.settle = function () {
    var waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(function (resolve) { resolve(); });
  };

  Take.prototype.retryNow = function () {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.pump();
    }
  };

  Take.prototype.pump = function () {
    var self = this;
    if (this.sending || this.retryTimer) return;
    if (this.cancelled || this.failure || !this.queue.length) {
      this.settle();
      return;
    }
    this.sending = true;
    var item = this.queue[0];
    var url = urlFor(root.dataset.chunkUrlTemplate, this.question.public_id);
    item.blob.arrayBuffer().then(function (buffer) {
      return sha256Hex(buffer).then(function (checksum) {
        return post(url, {
          "Content-Type": "application/octet-stream",
          "X-Attempt": String(self.attempt),
          "X-Offset": String(item.offset),
          "X-Chunk-SHA256": checksum,
        }, buffer);
      });
    }).then(function (result) {
      self.sending = false;
      if (self.cancelled) { self.pump(); return; }
      self.handle(result);
    });
  };

  Take.prototype.acknowledge = function (offset) {
    this.acked = Math.max(this.acked, offset);
    while (this.queue.length && this.queue[0].offset + this.queue[0].blob.size <= this.acked) {
      var done = this.queue.shift();  // memory stays flat: the slice is let go
      store.remove(this.question.public_id, this.attempt, done.offset);
    }
    showProgress(this);
  };

  Take.prototype.handle = function (result) {
    var self = this;
    var body = result.body;
    if (result.status === 200 || result.status === 201) {
      this.answerId = body.answer;
      this.failures = 0;
      setReconnecting(false);
      this.acknowledge(body.offset);
    } else if (retriable(result)) {
      var delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
      this.failures += 1;
      setReconnecting(true);
      showProgress(this);
      this.retryTimer = setTimeout(function () {
        self.retryTimer = null;
        self.pump();
      }, delay);
      return;
    } else if ((body.code === "gap" || body.code === "conflict") && typeof body.offset === "number") {
      // The server holds a different amount than we thought: carry on from its offset.
      this.acknowledge(body.offset);
      if (this.queue.length && this.queue[0].offset !== this.acked) {
        this.fail("Part of this answer was lost on the way. Please retake it, or submit what was saved.");
        return;
      }
    } else {
      this.fail(body.error || "Your answer could not be saved (" + result.status + ").");
      return;
    }
    this.pump();
  };

  Take.prototype.fail = function (message) {
    this.failure = message;
    setReconnecting(false);
    showError(message);
    this.settle();
  };

  Take.prototype.cancel = function () {
    this.cancelled = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.queue = [];
    return this.drained();  // waits for a chunk still on its way
  };

  function showProgress(t) {
    if (t !== take) return;
    var pending = t.produced - t.acked;
    $("record-saved").textContent = pending > 0 && t.failures
      ? "Kept on this device, waiting to upload: " + Math.round(pending / 1024) + " kB."
      : "Your answer uploads while you speak.";
  }

  window.addEventListener("online", function () { if (take) take.retryNow(); });

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
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.crypto || !crypto.subtle) {
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

  // Records up to maxSeconds. onSlice(blob) gets each slice as it is produced
  // (or, without it, one Blob at the end); onTick(elapsed) runs four times a second.
  function startRecorder(maxSeconds, onTick, onSlice) {
    var chunks = [];
    var options = {};
    for (var key in RECORDER_OPTIONS) options[key] = RECORDER_OPTIONS[key];
    if (mimeType) options.mimeType = mimeType;
    var recorder = new MediaRecorder(stream, options);
    var started = Date.now();
    var elapsed = function () { return (Date.now() - started) / 1000; };
    recorder.ondataavailable = function (event) {
      if (!event.data || !event.data.size) return;
      if (onSlice) onSlice(event.data); else chunks.push(event.data);
    };
    var done = new Promise(function (resolve) {
      recorder.onstop = function () {
        var type = (recorder.mimeType || mimeType || "video/webm").split(";")[0];
        resolve(onSlice ? null : new Blob(chunks, { type: type }));
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
    recorder.start(onSlice ? SLICE_MS : 1000);
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
    post(root.dataset.consentUrl, {}, null).then(function (result) {
      button.disabled = false;
      if (result.status === 0) {
        showError("The consent could not be sent. Check your connection and try again.");
        return;
      }
      if (!result.body.consent_given) {
        showError("The interview room has closed, so the interview cannot start.");
        return;
      }
      state.consent_given = true;
      nextQuestion();
    });
  });

  // ---- 3. The questions ----

  function retakesLeft() { return state.retakes + 1 - take.attempt; }

  function nextQuestion() {
    showError("");
    setReconnecting(false);
    var index = -1;
    for (var i = 0; i < state.questions.length; i++) {
      if (!state.questions[i].answered) { index = i; break; }
    }
    if (index === -1) { finish(); return; }
    current = state.questions[index];
    take = null;
    $("question-title").textContent =
      "Question " + (index + 1) + " of " + state.questions.length;
    $("question-text").textContent = current.text;
    $("live").srcObject = stream;
    show("step-question");
    store.list(current.public_id).then(function (slices) { offerResume(slices); });
  }

  // After a reload: a take the server or this device still holds is offered
  // back, never recorded again.
  function offerResume(slices) {
    var attempt = current.attempt;
    slices.forEach(function (s) { attempt = Math.max(attempt, s.attempt); });
    var mine = slices.filter(function (s) { return s.attempt === attempt; });
    var serverHas = current.state === "recording" && current.attempt === attempt ? current.bytes_received : 0;
    if (!serverHas && !mine.length) { prepare(); return; }
    take = new Take(current, attempt, serverHas);
    slices.forEach(function (s) {
      if (s.attempt !== attempt || s.offset < serverHas) store.remove(current.public_id, s.attempt, s.offset);
    });
    mine = mine.filter(function (s) { return s.offset >= serverHas; });
    if (mine.length && mine[0].offset === serverHas) {
      mine.forEach(function (s) {
        take.queue.push({ offset: s.offset, blob: s.blob });
        take.produced = s.offset + s.blob.size;
      });
      take.pump();
    }
    phase("resume");
    var left = retakesLeft();
    $("resume-retake").hidden = left <= 0;
    $("resume-retakes-left").textContent = left > 0
      ? "You can retake this answer " + plural(left, "more time") + "."
      : "No retakes left: continue with this answer.";
    say("Welcome back: your answer to this question was interrupted, and what was recorded is saved.");
  }

  $("resume").addEventListener("click", review);
  $("resume-retake").addEventListener("click", retake);

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

  function nextAttempt() {
    if (!take) return Math.max(current.attempt, 0) + 1;
    // A take the server never saw keeps its number; otherwise the next one.
    return take.answerId || take.acked > 0 ? take.attempt + 1 : take.attempt;
  }

  function startAnswer() {
    clearInterval(prepTimer);
    if (session) return;
    var attempt = nextAttempt();
    take = new Take(current, attempt, 0);
    leftWhileRecording = false;
    $("room-hidden-warning").hidden = true;
    phase("record");
    say("Recording. Press Stop when you have finished.");
    holdWakeLock();
    var max = current.max_answer_seconds;
    var mine = take;
    session = startRecorder(max, function (t) {
      $("timer").textContent = "Recording " + clock(t) + " / " + clock(max);
    }, function (blob) { mine.add(blob); });
    showProgress(take);
    session.done.then(function () {
      mine.seconds = Math.min(session.elapsed(), max);
      session = null;
      releaseWakeLock();
      if (mine === take) review();
    });
  }

  function review() {
    var mine = take;
    phase("review");
    $("submit").disabled = false;
    var left = retakesLeft();
    $("retake").hidden = left <= 0;
    $("retakes-left").textContent = left > 0
      ? "You can retake this answer " + plural(left, "more time") + "."
      : "No retakes left: submit this answer.";
    $("timer").textContent = mine.seconds ? "Your answer: " + clock(mine.seconds) : "Your answer";
    var player = $("playback");
    player.removeAttribute("src");
    player.hidden = true;
    $("review-saving").textContent = "Saving the last seconds of your answer\u2026";
    mine.drained().then(function () {
      if (mine !== take) return;
      if (mine.failure) {
        $("review-saving").textContent = "You can submit what was saved" +
          (left > 0 ? ", or retake the answer." : ".");
        return;
      }
      $("review-saving").textContent = "Answer saved.";
      if (mine.answerId) {
        player.src = urlFor(root.dataset.videoUrlTemplate, mine.answerId) + "?take=" + mine.attempt;
        player.hidden = false;
      }
      say("Play your answer back, then submit it" + (left > 0 ? " or retake it." : "."));
    });
  }

  function retake() {
    if (!take || retakesLeft() <= 0) return;
    var old = take;
    showError("");
    setReconnecting(false);
    old.cancel().then(function () {
      store.clear(current.public_id, old.attempt);
      if (old.answerId || old.acked > 0) current.attempt = old.attempt;
      current.state = "recording";
      take = old;  // nextAttempt() looks at it
      prepare();
    });
  }

  $("start-now").addEventListener("click", startAnswer);
  $("stop").addEventListener("click", function () { if (session) session.stop(); });
  $("retake").addEventListener("click", retake);
  $("submit").addEventListener("click", submit);
  $("retry-upload").addEventListener("click", submit);

  // The take is submitted once every slice has arrived.
  function submit() {
    var mine = take;
    if (!mine) return;
    showError("");
    $("submit").disabled = true;
    phase("upload");
    $("retry-upload").hidden = true;
    $("upload-progress").removeAttribute("value");
    say("Submitting your answer\u2026");
    var failures = 0;
    (function tryOnce() {
      mine.drained().then(function () {
        // After a loss, what the server holds is what is submitted.
        var headers = { "X-Attempt": String(mine.attempt), "X-Total-Bytes": String(mine.acked) };
        if (mine.seconds) headers["X-Duration"] = mine.seconds.toFixed(1);
        return post(urlFor(root.dataset.finishUrlTemplate, current.public_id), headers, null);
      }).then(function (result) {
        if (mine !== take) return;
        var code = result.body.code;
        // A lost response, sent again: the server already has this answer.
        if (result.status === 200 || code === "already_submitted" || code === "completed") {
          setReconnecting(false);
          current.answered = true;
          store.clear(current.public_id);
          take = null;
          say("Answer submitted.");
          if (result.body.completed) finish(); else nextQuestion();
          return;
        }
        if (retriable(result)) {
          setReconnecting(true);
          var delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
          failures += 1;
          setTimeout(tryOnce, delay);
          return;
        }
        if (code === "incomplete") {
          var before = mine.acked;
          mine.acknowledge(result.body.offset);
          if (mine.acked !== before) { mine.pump(); tryOnce(); return; }
        }
        setReconnecting(false);
        showError(result.body.error || "Your answer could not be submitted.");
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

  // ---- Phones: keep the screen on while recording; notice a hidden tab ----

  function holdWakeLock() {
    if (!navigator.wakeLock || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").then(function (lock) { wakeLock = lock; }, function () {});
  }
  function releaseWakeLock() {
    if (wakeLock) wakeLock.release().catch(function () {});
    wakeLock = null;
  }
  document.addEventListener("visibilitychange", function () {
    if (!session) return;
    if (document.visibilityState === "hidden") {
      leftWhileRecording = true;
    } else {
      $("room-hidden-warning").hidden = !leftWhileRecording;
      holdWakeLock();  // the browser drops the lock with the tab
    }
  });

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
          " answers are already submitted; you will continue with question " +
          (answered + 1) + ".";
      }
      startDevices();
    })
    .catch(function (err) { showError(err.message); });
})();
