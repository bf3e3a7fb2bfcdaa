// The statement's print button: the page itself is plain HTML and prints without it.
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
