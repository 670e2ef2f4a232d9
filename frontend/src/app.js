// Rusty Coin front-end entry: htmx (+ its websocket extension) and the theme switch.
// Bundled by esbuild into static/dist/app.js at setup time; never committed.
import "./htmx-global.js";
// The ws extension registers itself on window.htmx, so it is imported after htmx-global.
import "htmx-ext-ws";

const THEME_KEY = "rusty-theme";

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const button = document.querySelector("[data-theme-toggle]");
  if (button) {
    button.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    button.textContent = theme === "dark" ? "Light theme" : "Dark theme";
  }
}

function preferredTheme() {
  const saved = window.localStorage.getItem(THEME_KEY);
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

document.addEventListener("DOMContentLoaded", () => {
  applyTheme(preferredTheme());
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    window.localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
});

// Live-update indicator in the footer (htmx ws extension events); a refused subscription
// replaces #live-status with the server's message instead.
function setLive(text) {
  const status = document.getElementById("live-status");
  if (status && !status.classList.contains("live-error")) status.textContent = text;
}
document.addEventListener("htmx:wsOpen", () => setLive("● live"));
document.addEventListener("htmx:wsClose", () => setLive("○ reconnecting…"));

// The search suggestions dropdown closes on Escape and on a click elsewhere.
function closeSuggestions() {
  const box = document.getElementById("search-suggestions");
  if (box) box.innerHTML = "";
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeSuggestions();
});
document.addEventListener("click", (event) => {
  if (!event.target.closest("form.search")) closeSuggestions();
});
