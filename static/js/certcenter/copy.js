// PC <-> smartphone copy through the bank's relay, which only ever sees the key encrypted
// with the certificate password. Import: the phone shows the number and waits; the PC
// sends. Export: the phone sends and shows the number; the PC receives with it.
import * as dk from "./devicekeys.js";
import { call } from "./api.js";
import { fillPicker, selected, wireImport } from "./certpicker.js";

const box = document.querySelector("[data-copy]");
const result = box.querySelector("[data-result]");
const codeOut = box.querySelector("[data-code]");
const report = (code, detail) => { result.textContent = detail || dk.message(code); };

await fillPicker(box);
wireImport(box, report);

async function checkedRecord() {
  const record = await selected(box);
  await dk.decryptPrivateKey(record.encKey, box.querySelector("[data-password]").value);
  return record;
}

async function keep(data) {
  const certDer = dk.fromBase64(data.certificate);
  await dk.store.put({ ...dk.certificateSummary(certDer), certDer,
    encKey: dk.fromBase64(data.encrypted_key) });
  await fillPicker(box);
  report("received");
}

function poll(session) {
  const timer = setInterval(async () => {
    try {
      const data = await call(`${box.dataset.apiSession}${session}/`, { method: "GET" });
      if (data.status === "received") {
        clearInterval(timer);
        codeOut.textContent = "";
        await keep(data);
      } else if (["expired", "destroyed", "done", "unknown"].includes(data.status)) {
        clearInterval(timer);
        codeOut.textContent = "";
        report(data.status === "destroyed" ? "destroyed" : "expired");
      }
    } catch (e) {
      clearInterval(timer);
      report(e.code, e.detail);
    }
  }, 1500);
}

box.querySelector("[data-start]").addEventListener("click", async () => {
  try {
    let body = { direction: box.dataset.copy };
    if (box.dataset.copy === "export") {
      const record = await checkedRecord();
      body = { ...body, encrypted_key: dk.toBase64(record.encKey),
        certificate: dk.toBase64(record.certDer) };
    }
    const data = await call(box.dataset.apiStart, { body });
    codeOut.textContent = data.code;
    if (box.dataset.copy === "import") poll(data.session);
  } catch (e) {
    report(e.code, e.detail);
  }
});

const send = box.querySelector("[data-send]");
if (send) {
  send.addEventListener("click", async () => {
    try {
      const record = await checkedRecord();
      await call(box.dataset.apiSend, { body: {
        code: box.querySelector("[data-number]").value,
        encrypted_key: dk.toBase64(record.encKey), certificate: dk.toBase64(record.certDer) } });
      report("sent");
    } catch (e) {
      report(e.code, e.detail);
    }
  });
}

const receive = box.querySelector("[data-receive]");
if (receive) {
  receive.addEventListener("click", async () => {
    try {
      const data = await call(box.dataset.apiReceive, {
        body: { code: box.querySelector("[data-number]").value } });
      await keep(data);
    } catch (e) {
      report(e.code, e.detail);
    }
  });
}

box.dataset.ready = "1";
