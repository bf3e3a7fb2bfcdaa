// The confirm form submits once: a second click while the first is on its way does nothing
// (the server also refuses to move the money twice).
const form = document.querySelector("[data-testid=confirm-form]");
if (form) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.querySelector("button[type=submit]")?.setAttribute("aria-busy", "true");
  });
}
