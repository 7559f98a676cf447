// Waypoint works without JavaScript; this file makes the htmx forms honest on a slow or
// patchy connection:
// - a change being sent shows on its item ("Saving…", aria-busy) until it lands;
// - taps made meanwhile wait their turn and are sent, in order, against the item as the
//   server last showed it, or are reported as not sent: never dropped silently;
// - a failure says so in the problem box (the server's own words when it sent some),
//   keeping whatever was typed in the form;
// - typed text survives being sent to sign-in, and a page restored by Back or Forward
//   is reloaded, so it never shows progress as it was minutes ago.
(function () {
  "use strict";

  var queues = {}; // item id -> taps waiting for the change in flight: [{button, fields}]
  var ready = {}; // item id -> its change landed; send the next tap once the item is live
  var DRAFTS = "waypoint-drafts";

  function showProblem(text, scopeId) {
    var box = document.getElementById("problem");
    if (!box) return;
    box.textContent = text;
    box.setAttribute("data-scope", scopeId || "");
    box.hidden = false;
    clearTimeout(showProblem.timer);
    showProblem.timer = setTimeout(function () { box.hidden = true; }, 10000);
  }

  function plainText(xhr) {
    var type = xhr && xhr.getResponseHeader("Content-Type") || "";
    return type.indexOf("text/plain") === 0 ? xhr.responseText : "";
  }

  // Scope of a request: the element it swaps (an item, a review entry), which has an id.
  function scopeOf(detail) {
    var target = detail && detail.target;
    return target && target.id ? target : null;
  }

  function typedFields(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && (field.tagName === "TEXTAREA" || /^(text|url|number|email)$/.test(field.type))) {
        fields[field.name] = field.value;
      }
    });
    return fields;
  }

  function setPending(scope, pending) {
    var note = scope.querySelector(":scope > .pending-note");
    if (!pending) {
      scope.removeAttribute("aria-busy");
      if (note) note.remove();
      return;
    }
    scope.setAttribute("aria-busy", "true");
    if (!note) {
      note = document.createElement("p");
      note.className = "pending-note";
      scope.insertBefore(note, scope.firstChild);
    }
    var waiting = (queues[scope.id] || []).length;
    note.textContent = "Saving…" + (waiting ? " (" + waiting + " more change" + (waiting > 1 ? "s" : "") + " waiting)" : "");
  }

  function dropQueue(id, why) {
    var waiting = (queues[id] || []).length;
    delete queues[id];
    if (waiting) {
      showProblem(why + " " + waiting + " later tap" + (waiting > 1 ? "s were" : " was") + " not sent; look at the item and try again.", id);
    }
  }

  // A tap while the item's change is in flight waits its turn (capture phase: before htmx).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var scope = form.closest && form.closest("[aria-busy=true][id]");
    if (!scope || !form.hasAttribute("hx-post")) return;
    event.preventDefault();
    event.stopPropagation();
    (queues[scope.id] = queues[scope.id] || []).push({
      button: event.submitter ? event.submitter.id : "",
      fields: typedFields(form),
    });
    setPending(scope, true);
  }, true);

  // A change made while the item's details are open keeps them open in the answer.
  document.addEventListener("htmx:configRequest", function (event) {
    var scope = scopeOf(event.detail);
    var details = scope && scope.querySelector(":scope > details.item__more");
    if (details && details.open && event.detail.verb === "post") event.detail.parameters.open = "1";
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var scope = scopeOf(event.detail);
    if (scope) setPending(scope, true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var scope = scopeOf(event.detail);
    if (!scope) return;
    var id = scope.id;
    var current = document.getElementById(id); // the swapped-in item, or the same one
    var xhr = event.detail.xhr;
    var landed = xhr && xhr.status >= 200 && xhr.status < 300 && !xhr.getResponseHeader("HX-Redirect");
    var swapped = current && current !== scope;
    if (landed && swapped && (queues[id] || []).length) {
      // Still busy: the next tap is sent once the new item is live (htmx:load).
      setPending(current, true);
      ready[id] = true;
      return;
    }
    if (current) setPending(current, false);
    if (landed && current) {
      sendNext(current);
    } else if ((queues[id] || []).length) {
      dropQueue(id, "The change before them was not saved, so");
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var id = event.target.id;
    if (!id || !ready[id]) return;
    delete ready[id];
    setPending(event.target, false); // so that the next tap goes out rather than waiting
    sendNext(event.target);
  });

  // The next waiting tap on this item, made again on the controls the server returned.
  function sendNext(scope) {
    var waiting = queues[scope.id] || [];
    if (!waiting.length) return;
    var next = waiting.shift();
    var button = next.button && document.getElementById(next.button);
    if (!button || !button.form || !scope.contains(button)) {
      waiting.unshift(next);
      dropQueue(scope.id, "That control is no longer there, so");
      return;
    }
    Object.keys(next.fields).forEach(function (name) {
      var field = button.form.elements[name];
      if (field && field.type !== "hidden") field.value = next.fields[name];
    });
    button.click(); // a click, not requestSubmit(): htmx sends the button it saw clicked
  }

  // Typed but not yet sent: an answer for another control of the same item must not wipe
  // it. Kept from the item about to be replaced, put back into the one swapped in.
  var unsent = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    var scope = scopeOf(event.detail);
    var sending = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!scope) return;
    var fields = {};
    scope.querySelectorAll("textarea[id], input[id]").forEach(function (field) {
      var form = field.form;
      if (form === sending || !/^(text|url|number|textarea)$/.test(field.type)) return;
      if (field.value !== field.defaultValue) fields[field.id] = field.value;
    });
    if (Object.keys(fields).length) unsent[scope.id] = fields;
  });

  document.addEventListener("htmx:load", function (event) {
    var fields = event.target.id && unsent[event.target.id];
    if (!fields) return;
    delete unsent[event.target.id];
    Object.keys(fields).forEach(function (id) {
      var field = document.getElementById(id);
      if (!field || !event.target.contains(field)) return;
      field.value = fields[id];
      var details = field.closest("details");
      if (details) details.open = true;
    });
  });

  // Errors: the server's words when it sent some (text/plain), else ours. With DEBUG on
  // (make run), django-htmx's helper would replace the whole page with the error body;
  // catching the event on its way down keeps it from that helper. 400 and 409 answers
  // are fragments explaining what was refused, swapped in place (htmx-config in base.html).
  window.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    event.stopPropagation();
    var text = plainText(xhr);
    if (text) showProblem("Not saved: " + text);
  }, true);

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (plainText(xhr)) return; // already shown in the server's words
    var status = xhr ? xhr.status : 0;
    if (status === 403) {
      showProblem("Not saved: this page is out of date. Reload the page and try again.");
    } else if (status === 404) {
      showProblem("Not saved: this is no longer on your roadmap. Reload the page.");
    } else {
      showProblem("Not saved: the server had a problem. Nothing was changed; please try again.");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showProblem("Not saved: you seem to be offline. Nothing was changed; try again when connected.");
  });

  // Sent to sign-in (HX-Redirect): keep what was typed in this page's forms, to put back
  // when the person returns to it. Not saved on the server until they save it.
  function signedIn() {
    return document.body.getAttribute("data-user") || "";
  }

  function saveDrafts() {
    var drafts = {};
    document.querySelectorAll("form[hx-post] textarea[id], form[hx-post] input[id]").forEach(function (field) {
      if (/^(text|url|number|textarea)$/.test(field.type) && field.value !== field.defaultValue) {
        drafts[field.id] = field.value;
      }
    });
    if (Object.keys(drafts).length) {
      sessionStorage.setItem(DRAFTS, JSON.stringify({ user: signedIn(), page: location.pathname, fields: drafts }));
    }
  }

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status < 400 && xhr.getResponseHeader("HX-Redirect")) saveDrafts();
  });

  function restoreDrafts() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(DRAFTS) || "null"); } catch (e) { saved = null; }
    if (!saved || saved.page !== location.pathname || !signedIn()) return;
    sessionStorage.removeItem(DRAFTS);
    if (saved.user !== signedIn()) return; // someone else signed in here: not theirs
    drafts = saved.fields;
    putDraftsBack();
  }

  // Typed text waiting to go back into its field: now, or once the item's details
  // (loaded on demand) arrive.
  var drafts = {};
  function putDraftsBack() {
    var restored = 0;
    Object.keys(drafts).forEach(function (id) {
      var field = document.getElementById(id);
      if (!field) {
        var row = document.getElementById(id.replace(/-[a-z_]+$/, ""));
        var details = row && row.querySelector(":scope > details.item__more");
        if (details && !details.open) details.open = true; // loads them
        return;
      }
      field.value = drafts[id];
      delete drafts[id];
      var more = field.closest("details");
      if (more) more.open = true;
      restored += 1;
    });
    if (restored) showProblem("What you typed before signing in is back in its field. It is not saved yet: press Save.");
  }
  document.addEventListener("htmx:load", function () {
    if (Object.keys(drafts).length) putDraftsBack();
  });

  // A problem box about one item goes once that item is answered again; others stay
  // until their timer ends.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = document.getElementById("problem");
    var scope = scopeOf(event.detail);
    if (box && scope && box.getAttribute("data-scope") === scope.id) box.hidden = true;
  });

  // Review queue: an entry reviewed leaves the queue, so the keyboard moves on to the next
  // entry still waiting (its heading: the title is what the mentor hears first), else to
  // the count of what is left. An entry back in the queue (undone, or the review refused)
  // keeps the focus. #live-status says what happened. Focus the person moved elsewhere
  // while the answer was on its way stays where they put it.
  function focusOn(element) {
    if (!element) return;
    if (!element.matches("a[href], button, input, textarea, select")) element.setAttribute("tabindex", "-1");
    element.focus();
  }

  function waitingEntry(entry) {
    var entries = Array.prototype.slice.call(document.querySelectorAll(".review-entry"));
    var at = entries.indexOf(entry);
    var after = entries.slice(at + 1).concat(entries.slice(0, at)); // the next ones, then back round
    return after.filter(function (other) { return other.querySelector(".review-entry__actions"); })[0];
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var scope = scopeOf(event.detail);
    var entry = scope && scope.classList.contains("review-entry") && document.getElementById(scope.id);
    var focused = document.activeElement;
    if (!entry || (focused && focused !== document.body && !scope.contains(focused))) return;
    var next = entry.querySelector(".review-entry__actions") ? entry : waitingEntry(entry);
    focusOn(next ? next.querySelector(".review-entry__title") : document.getElementById("review-waiting"));
  });

  // A jump to a folded stage (the jump list, the skip link) unfolds it first.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#stage-"]');
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    var stage = target && target.closest("details.stage");
    if (stage) stage.open = true;
  });

  // Signing out leaves nothing typed behind for the next person on this browser.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-sign-out]")) sessionStorage.removeItem(DRAFTS);
  }, true);

  // Back and Forward may show a page from the browser's memory; a private page is loaded
  // again so that it shows progress as it is now.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.body.hasAttribute("data-private")) location.reload();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restoreDrafts);
  } else {
    restoreDrafts();
  }
})();
