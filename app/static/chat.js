// The chat page's client: talks to /chat, /chat/feedback and /chat/sessions like any API client.
// Text from the service is only ever set as textContent, never parsed as HTML.
"use strict";

const SESSION_KEY = "chatbot.session_id";
const TOKEN_KEY = "chatbot.token";
// The page's words in the visitor's language, chosen by the server (app/web/locale/).
const TEXT = JSON.parse(document.body.dataset.text);

const turns = document.getElementById("turns");
const statusLine = document.getElementById("status");
const askForm = document.getElementById("ask");
const messageBox = document.getElementById("message");
const sendButton = document.getElementById("send");
const tokenForm = document.getElementById("token-form");
const tokenInput = document.getElementById("token");

let pendingMessage = null; // resent once a token is given after a 401

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function say(key, values) {
  return TEXT[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

function showStatus(text) {
  statusLine.textContent = text;
  statusLine.hidden = !text;
}

async function callApi(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  let payload = null;
  try {
    payload = await response.json();
  } catch (_) {
    payload = null; // a proxy's HTML error page, for example
  }
  return { response, payload };
}

function problem(response, payload) {
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    return wait ? say("try_again_in", { seconds: wait }) : say("too_many_requests");
  }
  const message = payload && payload.message ? payload.message : say("service_answered", { status: response.status });
  const id = payload && payload.request_id ? " (" + say("request") + " " + payload.request_id + ")" : "";
  return message + id;
}

function userTurn(text) {
  const item = element("li", "turn user");
  item.appendChild(element("p", "text", text)).dir = "auto";
  turns.appendChild(item);
  item.scrollIntoView({ block: "end" });
}

function sourceList(sources) {
  const list = element("ol", "sources");
  sources.forEach((source) => {
    const entry = element("li");
    const title = entry.appendChild(element("span", "source-title", source.title));
    title.dir = "auto";
    if (typeof source.score === "number") {
      entry.appendChild(element("span", "score", " " + source.score.toFixed(2)));
    }
    if (source.snippet) entry.appendChild(element("p", "snippet", source.snippet)).dir = "auto";
    list.appendChild(entry);
  });
  return list;
}

function feedbackButtons(turnId) {
  const box = element("div", "feedback");
  const buttons = [["up", "\u{1F44D}", say("helpful")], ["down", "\u{1F44E}", say("not_helpful")]].map(([rating, icon, label]) => {
    const button = element("button", "rate", icon);
    button.type = "button";
    button.title = label;
    button.setAttribute("aria-label", label);
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", async () => {
      const { response, payload } = await callApi("POST", "/chat/feedback", { turn_id: turnId, rating });
      if (!response.ok) {
        showStatus(problem(response, payload));
        return;
      }
      buttons.forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
    });
    box.appendChild(button);
    return button;
  });
  return box;
}

function botTurn(turn) {
  const flags = turn.flags || {};
  const item = element("li", "turn bot" + (flags.fallback ? " fallback" : "") + (flags.refused ? " refused" : ""));
  const reply = item.appendChild(element("p", "text", turn.reply));
  reply.dir = "auto";
  if (turn.language) reply.lang = turn.language;
  if (turn.sources && turn.sources.length) item.appendChild(sourceList(turn.sources));
  if (turn.turn_id) item.appendChild(feedbackButtons(turn.turn_id));
  turns.appendChild(item);
  item.scrollIntoView({ block: "end" });
}

async function send(message) {
  sendButton.disabled = true;
  showStatus("…");
  try {
    const body = { message };
    const sessionId = sessionStorage.getItem(SESSION_KEY);
    if (sessionId) body.session_id = sessionId;
    const { response, payload } = await callApi("POST", "/chat", body);
    if (response.status === 401) {
      pendingMessage = message;
      tokenForm.hidden = false;
      tokenInput.focus();
      showStatus(problem(response, payload));
      return;
    }
    if (!response.ok || !payload) {
      showStatus(problem(response, payload));
      return;
    }
    sessionStorage.setItem(SESSION_KEY, payload.session_id);
    botTurn(payload);
    showStatus("");
  } catch (_) {
    showStatus(say("unreachable"));
  } finally {
    sendButton.disabled = false;
  }
}

async function restore() {
  const sessionId = sessionStorage.getItem(SESSION_KEY);
  if (!sessionId) return;
  const { response, payload } = await callApi("GET", "/chat/sessions/" + encodeURIComponent(sessionId));
  if (!response.ok || !payload) {
    if (response.status === 404) sessionStorage.removeItem(SESSION_KEY);
    return;
  }
  // Stored turns are redacted: names and contact details appear as placeholders.
  payload.turns.forEach((turn) => {
    userTurn(turn.user_text);
    botTurn(turn);
  });
}

askForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = messageBox.value.trim();
  if (!message) return;
  userTurn(message);
  messageBox.value = "";
  await send(message);
  messageBox.focus();
});

messageBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    askForm.requestSubmit();
  }
});

tokenForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  tokenInput.value = "";
  tokenForm.hidden = true;
  if (pendingMessage !== null) {
    const message = pendingMessage;
    pendingMessage = null;
    await send(message);
  } else {
    await restore();
  }
});

document.getElementById("new-conversation").addEventListener("click", () => {
  sessionStorage.removeItem(SESSION_KEY);
  turns.replaceChildren();
  showStatus("");
  messageBox.focus();
});

restore();
