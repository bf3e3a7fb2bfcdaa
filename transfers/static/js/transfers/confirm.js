// The confirm form submits once: a second click while the first is on its way does nothing
// (the server also refuses to move the money twice). A form that certcenter/sign.js signs
// first is counted from its signed submission (sign.js cancels the first submit event and
// submits again once the order is signed).
const form = document.querySelector("[data-testid=confirm-form]");
if (form) {
  form.addEventListener("submit", (event) => {
    if ("signOrder" in form.dataset && form.dataset.signed !== "1") return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.querySelector("button[type=submit]")?.setAttribute("aria-busy", "true");
  });
}
