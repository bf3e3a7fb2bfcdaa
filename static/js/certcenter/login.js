// Certificate login: the key, decrypted here with the certificate password, signs the
// server's single-use nonce; only the certificate and the signature are sent.
import * as dk from "./devicekeys.js";
import { fillPicker, selected, wireImport } from "./certpicker.js";

const form = document.querySelector("[data-cert-login]");
const error = form.querySelector("[data-keygen-error]");
const report = (code) => { error.textContent = dk.message(code); };

await fillPicker(form);
wireImport(form, report);

form.addEventListener("submit", async (event) => {
  if (form.querySelector("[data-signature]").value) return;
  event.preventDefault();
  try {
    const record = await selected(form);
    const key = await dk.decryptPrivateKey(record.encKey,
      form.querySelector("[data-password]").value);
    const signature = await dk.sign(key, new TextEncoder().encode(form.dataset.signedText));
    form.querySelector("[data-certificate]").value = dk.toBase64(record.certDer);
    form.querySelector("[data-signature]").value = dk.toBase64(signature);
    form.submit();
  } catch (e) {
    report(e.code || "failed");
  }
});
