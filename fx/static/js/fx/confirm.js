// The confirm form submits once: a second click while the first is on its way does nothing
// (the server also moves the money only once). A form that certcenter/sign.js signs first is
// counted from its signed submission.
const form = document.querySelector("[data-testid=fx-confirm-form]");
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
