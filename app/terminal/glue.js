// kubedojo's lab terminal in the browser: xterm.js on the element marked data-terminal-mount,
// connected to /api/terminal. Loaded (as an ES module) only when the learner opens the
// terminal or presses a "Run" button, so pages that never use it do not pay for it.
//
// Protocol: binary frames are terminal bytes both ways; text frames are JSON control messages
// (we send {"type":"resize",...}; the server sends {"type":"state","running":...}). The first
// binary frame after connecting is the server's replay of the screen.

import { Terminal } from "./xterm.mjs";
import { FitAddon } from "./addon-fit.mjs";

const mount = document.querySelector("[data-terminal-mount]");
const encoder = new TextEncoder();

const term = new Terminal({
  cursorBlink: true,
  fontSize: 13,
  fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  scrollback: 5000,
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open(mount);
fitToMount();

let socket = null;
let retryDelay = 500;
// The server tells us; until then assume busy so queued "Run" commands wait for it.
let running = true;
let ended = false;
const queue = [];

function url() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  // The lab the page shows: the server puts its manifests in kubectl's working directory.
  const lab = document.querySelector("[data-lab]")?.dataset.lab;
  const query = lab ? "?lab=" + encodeURIComponent(lab) : "";
  return scheme + location.host + "/api/terminal" + query;
}

function connect() {
  const ws = new WebSocket(url());
  ws.binaryType = "arraybuffer";
  socket = ws;
  let replay = true;
  mount.dataset.connection = "connecting";
  ws.onopen = () => {
    retryDelay = 500;
    mount.dataset.connection = "open";
    sendSize();
  };
  ws.onmessage = (event) => {
    if (typeof event.data === "string") {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "state") {
        running = Boolean(message.running);
        mount.dataset.running = String(running);
        pump();
      }
      return;
    }
    if (replay) {
      // The replay is the whole screen as the server has it: start from a blank terminal.
      term.reset();
      replay = false;
    }
    term.write(new Uint8Array(event.data));
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    socket = null;
    running = true;
    mount.dataset.connection = "closed";
    if (event.code === 1000 && event.reason) {
      // The session ended on purpose (Ctrl-D, idle): start a new one only when asked.
      ended = true;
      term.write("\r\n[press any key to start a new session]\r\n");
      return;
    }
    term.write("\r\n[connection lost: reconnecting]\r\n");
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  };
}

function send(data) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(data);
}

function sendSize() {
  send(JSON.stringify({ type: "resize", cols: term.cols, rows: term.rows }));
}

function fitToMount() {
  // Fitting a hidden element measures zero; wait until it has a size.
  if (mount.clientWidth > 0 && mount.clientHeight > 0) fit.fit();
}

// "Run" buttons: commands wait until the prompt is back, then are typed and entered. Ctrl-E
// Ctrl-U first clears whatever the learner had half-typed.
function pump() {
  if (running || ended || queue.length === 0) return;
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  const command = queue.shift();
  running = true;
  send(encoder.encode("\x05\x15" + command + "\r"));
}

function enqueue(text) {
  for (const line of String(text).split("\n")) {
    if (line.trim() !== "") queue.push(line.trim());
  }
  pump();
}

term.onData((data) => {
  if (ended) {
    ended = false;
    term.reset();
    connect();
    return;
  }
  send(encoder.encode(data));
});
term.onResize(sendSize);
new ResizeObserver(fitToMount).observe(mount);

window.addEventListener("kubedojo:run", (event) => {
  enqueue(event.detail);
  term.focus();
});
if (mount.dataset.pending) {
  enqueue(mount.dataset.pending);
  delete mount.dataset.pending;
}

// For people debugging and for the browser tests: the screen's text, line by line.
window.kubedojoTerminal = {
  // Lines the terminal wrapped at its width are joined back into one.
  screen() {
    const buffer = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      const text = line?.translateToString(true) ?? "";
      if (line?.isWrapped && lines.length > 0) {
        lines[lines.length - 1] += text;
      } else {
        lines.push(text);
      }
    }
    return lines.join("\n");
  },
};
mount.dataset.ready = "true";
connect();
term.focus();
