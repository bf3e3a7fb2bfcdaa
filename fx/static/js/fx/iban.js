// SWIFT form: says whether the chosen country's accounts are IBANs (the server checks it
// either way, with schwifty).
const form = document.querySelector("[data-testid=swift-form]");
const country = form?.querySelector("[name=country]");
if (form && country) {
  const ibanCountries = new Set((form.dataset.ibanCountries || "").split(/\s+/).filter(Boolean));
  const hints = form.querySelectorAll("[data-iban-hint]");
  const sync = () => {
    const kind = !country.value ? "" : ibanCountries.has(country.value) ? "iban" : "local";
    hints.forEach((hint) => { hint.hidden = hint.dataset.ibanHint !== kind; });
  };
  country.addEventListener("change", sync);
  sync();
}
