export * as asn1js from "asn1js";
export { CertificationRequest, AttributeTypeAndValue, setEngine, CryptoEngine, getCrypto } from "pkijs";
