// Register another institution's certificate: its key signs a fresh nonce here (proof of
// possession); the bank validates the path to a trusted root and the policy.
import * as dk from "./devicekeys.js";
import { call } from "./api.js";
import { filesRead } from "./certpicker.js";

const box = document.querySelector("[data-foreign]");
const result = box.querySelector("[data-result]");

box.querySelector("[data-register]").addEventListener("click", async () => {
  try {
    const files = await filesRead(box);
    const key = await dk.decryptPrivateKey(files.encKey, box.querySelector("[data-password]").value);
    const challenge = await call(box.dataset.apiChallenge);
    const signature = await dk.sign(key, new TextEncoder().encode(challenge.signed_text));
    const sms = box.querySelector("[data-sms]");
    await call(box.dataset.apiRegister, { body: {
      certificate: dk.toBase64(files.certDer), nonce: challenge.nonce,
      signature: dk.toBase64(signature), sms_code: sms ? sms.value : "" } });
    window.location.reload();
  } catch (e) {
    result.textContent = e.detail || dk.message(e.code || "failed");
  }
});
