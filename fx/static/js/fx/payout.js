// Eurogiro form: the postal account is asked only for payment into an account.
const form = document.querySelector("[data-testid=eurogiro-form]");
const account = form?.querySelector("[name=account]")?.closest("p");
function sync() {
  const cash = form.querySelector("[name=payout]:checked")?.value === "cash";
  if (account) account.hidden = cash;
}
if (form && account) {
  form.addEventListener("change", sync);
  sync();
}
