// Change or delete the certificate password on this device: the key is re-encrypted here.
import * as dk from "./devicekeys.js";
import { fillPicker, selected, wireImport } from "./certpicker.js";

const form = document.querySelector("[data-password-form]");
const result = form.querySelector("[data-result]");
const report = (code) => { result.textContent = dk.message(code); };

await fillPicker(form);
wireImport(form, report);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const record = await selected(form);
    const next = form.querySelector("[data-new-password]").value;
    if (next !== form.querySelector("[data-new-password2]").value) {
      throw new dk.DeviceKeyError("password_mismatch");
    }
    record.encKey = await dk.changePassword(
      record.encKey, form.querySelector("[data-old-password]").value, next);
    await dk.store.put(record);
    report("changed");
  } catch (e) {
    report(e.code || "failed");
  }
});

form.querySelector("[data-delete]").addEventListener("click", async () => {
  try {
    const record = await selected(form);
    await dk.decryptPrivateKey(record.encKey, form.querySelector("[data-old-password]").value);
    await dk.store.remove(record.serial);
    await fillPicker(form);
    report("deleted");
  } catch (e) {
    report(e.code || "failed");
  }
});
