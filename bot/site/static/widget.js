/*
 * The privacy assistant's chat widget: plain JavaScript over Rasa's REST channel, no dependencies.
 *
 * The page provides the markup (launcher, panel, log, form); this script wires it up:
 * - POST {"sender": id, "message": text} to the webhook URL in data-rasa-webhook-url;
 * - bot text is escaped: only Markdown links ([title](url), safe schemes) and **bold** become
 *   elements, everything else stays text (built with the DOM, never innerHTML);
 * - quick-reply buttons send their payload and show their title as the customer's message;
 * - the conversation id and the visible messages persist in localStorage until "Start over";
 * - typing stops at data-max-length characters (the chat channel's own limit, set by the site),
 *   and the hint under the input says so.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "privacy-assistant-chat";
  var STORAGE_VERSION = 1;
  var MAX_STORED_MESSAGES = 200;
  var MAX_BUTTONS = 10;
  var REQUEST_TIMEOUT_MS = 20000;
  var LENGTH_WARNING_AT = 100;
  var DEFAULT_MAX_LENGTH = 2000; // only if the page leaves data-max-length out
  var SMALL_SCREEN = "(max-width: 30rem)";
  var UNREACHABLE_TEXT =
    "Sorry, I can't reach the assistant right now. Please check your connection and try again in a moment.";
  var INLINE_MARKUP = /\[([^\[\]\n]+)\]\(([^()\s]+)\)|\*\*([^*\n]+)\*\*/g;

  // --- storage ------------------------------------------------------------------------------

  function newSenderId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (byte) {
        return byte.toString(16).padStart(2, "0");
      })
      .join("");
  }

  function freshState() {
    return { version: STORAGE_VERSION, senderId: newSenderId(), messages: [], open: false };
  }

  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) return [];
    return buttons
      .filter(function (button) {
        return (
          button &&
          typeof button.title === "string" &&
          typeof button.payload === "string" &&
          button.title.trim() !== "" &&
          button.payload.trim() !== ""
        );
      })
      .slice(0, MAX_BUTTONS)
      .map(function (button) {
        return { title: button.title, payload: button.payload };
      });
  }

  function cleanMessage(message) {
    if (!message || (message.sender !== "user" && message.sender !== "bot")) return null;
    if (typeof message.text !== "string") return null;
    return { sender: message.sender, text: message.text, buttons: cleanButtons(message.buttons) };
  }

  function loadState() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
      if (
        !stored ||
        stored.version !== STORAGE_VERSION ||
        !/^[0-9a-f]{32}$/.test(stored.senderId) ||
        !Array.isArray(stored.messages)
      ) {
        return freshState();
      }
      return {
        version: STORAGE_VERSION,
        senderId: stored.senderId,
        messages: stored.messages.map(cleanMessage).filter(Boolean),
        open: stored.open === true,
      };
    } catch (error) {
      return freshState(); // storage disabled or corrupted: start a conversation in memory
    }
  }

  function saveState(state) {
    state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (error) {
      // Storage full or disabled: the chat still works, it just won't survive a reload.
    }
  }

  function clearState() {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // nothing stored, nothing to clear
    }
  }

  // --- safe rendering of bot text -------------------------------------------------------------

  function isSafeHref(href) {
    if (href.charAt(0) === "#") return true;
    if (href.charAt(0) === "/" && href.charAt(1) !== "/") return true;
    try {
      var protocol = new URL(href).protocol;
      return protocol === "http:" || protocol === "https:" || protocol === "mailto:";
    } catch (error) {
      return false;
    }
  }

  function isSamePage(link) {
    return (
      link.origin === window.location.origin &&
      link.pathname === window.location.pathname &&
      link.hash !== ""
    );
  }

  function appendLine(parent, line) {
    var position = 0;
    var match;
    INLINE_MARKUP.lastIndex = 0;
    while ((match = INLINE_MARKUP.exec(line)) !== null) {
      parent.appendChild(document.createTextNode(line.slice(position, match.index)));
      if (match[3] !== undefined) {
        var strong = document.createElement("strong");
        strong.textContent = match[3];
        parent.appendChild(strong);
      } else if (isSafeHref(match[2])) {
        var link = document.createElement("a");
        link.textContent = match[1];
        link.setAttribute("href", match[2]);
        link.setAttribute("data-testid", "chat-link");
        if (!isSamePage(link) && link.origin !== window.location.origin) {
          link.target = "_blank";
          link.rel = "noopener noreferrer";
        }
        parent.appendChild(link);
      } else {
        parent.appendChild(document.createTextNode(match[1]));
      }
      position = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(line.slice(position)));
  }

  function appendFormattedText(parent, text) {
    text.split("\n").forEach(function (line, index) {
      if (index > 0) parent.appendChild(document.createElement("br"));
      appendLine(parent, line);
    });
  }

  // --- the widget -------------------------------------------------------------------------------

  function ChatWidget(root) {
    this.root = root;
    this.webhookUrl = root.getAttribute("data-rasa-webhook-url");
    this.maxLength = parseInt(root.getAttribute("data-max-length"), 10) || DEFAULT_MAX_LENGTH;
    this.launcher = root.querySelector("#chat-launcher");
    this.panel = root.querySelector("#chat-panel");
    this.log = root.querySelector("#chat-log");
    this.typing = root.querySelector("#chat-typing");
    this.form = root.querySelector("#chat-form");
    this.input = root.querySelector("#chat-input");
    this.hint = root.querySelector("#chat-input-hint");
    this.closeButton = root.querySelector("#chat-close");
    this.startOverButton = root.querySelector("#chat-start-over");
    this.input.maxLength = this.maxLength;
    this.state = loadState();
    this.pending = 0;
    this.queue = Promise.resolve();
  }

  ChatWidget.prototype.start = function () {
    var widget = this;
    this.launcher.addEventListener("click", function () {
      widget.open(true);
    });
    this.closeButton.addEventListener("click", function () {
      widget.close(true);
    });
    this.startOverButton.addEventListener("click", function () {
      widget.startOver();
    });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        widget.close(true);
      }
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      widget.sendTyped();
    });
    this.input.addEventListener("input", function () {
      widget.showRemainingLength();
    });
    this.panel.addEventListener("click", function (event) {
      widget.onPanelClick(event);
    });
    this.state.messages.forEach(function (message) {
      widget.renderMessage(message);
    });
    if (this.state.open) this.open(false);
    this.root.setAttribute("data-ready", "true");
  };

  ChatWidget.prototype.open = function (moveFocus) {
    this.panel.hidden = false;
    this.root.classList.add("chat--open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    saveState(this.state);
    this.scrollToEnd();
    if (moveFocus) this.input.focus();
  };

  ChatWidget.prototype.close = function (returnFocus) {
    this.panel.hidden = true;
    this.root.classList.remove("chat--open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    saveState(this.state);
    if (returnFocus) this.launcher.focus();
  };

  ChatWidget.prototype.startOver = function () {
    clearState();
    this.state = freshState(); // a new conversation id: replies still on their way are dropped
    this.state.open = true;
    saveState(this.state);
    Array.prototype.slice
      .call(this.log.querySelectorAll("[data-conversation]"))
      .forEach(function (element) {
        element.remove();
      });
    this.pending = 0;
    this.queue = Promise.resolve();
    this.typing.hidden = true;
    this.input.value = "";
    this.hint.classList.remove("chat-input-hint--limit");
    this.hint.textContent = "You started a new conversation.";
    this.input.focus();
  };

  ChatWidget.prototype.limitText = function () {
    return (
      "That's the limit: a message can be at most " +
      this.maxLength.toLocaleString("en") +
      " characters. Please keep it shorter, or ask me to pass a longer request to the Help Desk."
    );
  };

  ChatWidget.prototype.showRemainingLength = function () {
    // A paste longer than the limit is cut by maxlength, so it lands here at the limit too.
    var remaining = this.maxLength - this.input.value.length;
    this.hint.classList.toggle("chat-input-hint--limit", remaining <= 0);
    if (remaining <= 0) {
      this.hint.textContent = this.limitText();
    } else if (remaining <= LENGTH_WARNING_AT) {
      this.hint.textContent = remaining + (remaining === 1 ? " character" : " characters") + " left";
    } else {
      this.hint.textContent = "";
    }
  };

  ChatWidget.prototype.sendTyped = function () {
    var text = this.input.value.trim();
    if (text === "") {
      this.hint.textContent = "Type a message first.";
      this.input.focus();
      return;
    }
    if (text.length > this.maxLength) {
      this.hint.textContent = this.limitText();
      this.hint.classList.add("chat-input-hint--limit");
      return;
    }
    this.input.value = "";
    this.hint.textContent = "";
    this.hint.classList.remove("chat-input-hint--limit");
    this.send(text, text);
  };

  ChatWidget.prototype.send = function (message, shownAs) {
    var widget = this;
    this.retireButtons();
    this.addMessage({ sender: "user", text: shownAs, buttons: [] });
    this.queue = this.queue.then(function () {
      return widget.deliver(message);
    });
  };

  ChatWidget.prototype.deliver = function (message) {
    var widget = this;
    var conversation = this.state.senderId;
    this.setTyping(1);
    return this.postToRasa(conversation, message)
      .then(function (replies) {
        if (widget.state.senderId !== conversation) return;
        replies.forEach(function (reply) {
          var buttons = cleanButtons(reply && reply.buttons);
          var text = reply && typeof reply.text === "string" ? reply.text : "";
          if (text !== "" || buttons.length > 0) {
            widget.addMessage({ sender: "bot", text: text, buttons: buttons });
          }
        });
      })
      .catch(function () {
        if (widget.state.senderId === conversation) widget.showUnreachable(message);
      })
      .then(function () {
        if (widget.state.senderId === conversation) widget.setTyping(-1);
      });
  };

  ChatWidget.prototype.postToRasa = function (sender, message) {
    var controller = new AbortController();
    var timer = window.setTimeout(function () {
      controller.abort();
    }, REQUEST_TIMEOUT_MS);
    return window
      .fetch(this.webhookUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: sender, message: message }),
        signal: controller.signal,
        credentials: "omit",
      })
      .then(function (response) {
        if (!response.ok) throw new Error("Rasa answered " + response.status);
        return response.json();
      })
      .then(function (replies) {
        if (!Array.isArray(replies)) throw new Error("Rasa's answer is not a list");
        return replies;
      })
      .finally(function () {
        window.clearTimeout(timer);
      });
  };

  ChatWidget.prototype.setTyping = function (change) {
    this.pending = Math.max(0, this.pending + change);
    this.typing.hidden = this.pending === 0;
    this.scrollToEnd();
  };

  ChatWidget.prototype.addMessage = function (message) {
    this.state.messages.push(message);
    saveState(this.state);
    this.renderMessage(message);
  };

  ChatWidget.prototype.renderMessage = function (message) {
    var bubble = document.createElement("div");
    bubble.className = "chat-message chat-message--" + message.sender;
    bubble.setAttribute("data-testid", "chat-message");
    bubble.setAttribute("data-sender", message.sender);
    bubble.setAttribute("data-conversation", "");
    var speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = message.sender === "user" ? "You: " : "Assistant: ";
    bubble.appendChild(speaker);
    if (message.sender === "bot") {
      appendFormattedText(bubble, message.text);
    } else {
      bubble.appendChild(document.createTextNode(message.text));
    }
    this.log.appendChild(bubble);
    if (message.buttons.length > 0) this.renderButtons(message.buttons);
    this.scrollToEnd();
  };

  ChatWidget.prototype.renderButtons = function (buttons) {
    var group = document.createElement("div");
    group.className = "chat-buttons";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    group.setAttribute("data-testid", "chat-buttons");
    group.setAttribute("data-conversation", "");
    buttons.forEach(function (button) {
      var element = document.createElement("button");
      element.type = "button";
      element.className = "chat-reply-button";
      element.setAttribute("data-testid", "chat-reply-button");
      element.setAttribute("data-payload", button.payload);
      element.textContent = button.title;
      group.appendChild(element);
    });
    this.log.appendChild(group);
  };

  ChatWidget.prototype.retireButtons = function () {
    // Buttons answer the latest question only: once the customer replies, they go away.
    this.state.messages.forEach(function (message) {
      message.buttons = [];
    });
    Array.prototype.slice
      .call(this.log.querySelectorAll(".chat-buttons"))
      .forEach(function (group) {
        group.remove();
      });
  };

  ChatWidget.prototype.showUnreachable = function (message) {
    var widget = this;
    var bubble = document.createElement("div");
    bubble.className = "chat-message chat-message--bot chat-message--error";
    bubble.setAttribute("data-testid", "chat-error");
    bubble.setAttribute("data-conversation", "");
    bubble.textContent = UNREACHABLE_TEXT + " ";
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "chat-reply-button";
    retry.setAttribute("data-testid", "chat-retry");
    retry.textContent = "Try again";
    retry.addEventListener("click", function () {
      bubble.remove();
      widget.input.focus();
      widget.queue = widget.queue.then(function () {
        return widget.deliver(message);
      });
    });
    bubble.appendChild(retry);
    this.log.appendChild(bubble);
    this.scrollToEnd();
  };

  ChatWidget.prototype.onPanelClick = function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest(".chat-buttons .chat-reply-button");
    if (button) {
      this.send(button.getAttribute("data-payload"), button.textContent);
      this.input.focus();
      return;
    }
    var link = target.closest("a[href]");
    if (link && isSamePage(link) && window.matchMedia(SMALL_SCREEN).matches) {
      // On a phone the panel covers the page: get out of the way of the section it cites.
      this.close(false);
    }
  };

  ChatWidget.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  function boot() {
    var root = document.getElementById("chat");
    if (root && root.getAttribute("data-ready") !== "true") new ChatWidget(root).start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
