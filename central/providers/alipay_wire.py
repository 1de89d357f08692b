"""Alipay's open API on the wire (RSA2), both sides: the signed request
parameters, the signed answer, and the asynchronous notification. Pure
functions; the client (``alipay.py``) and the simulator use them, and the
tests check them against python-alipay-sdk's own signing and verification.

* the string signed is every parameter but ``sign`` (and, for a
  notification, ``sign_type``) with a value, sorted by name, ``k=v`` joined
  by ``&``, values as they are (not URL-encoded); SHA256withRSA (PKCS#1
  v1.5), base64;
* an answer is ``{"<method>_response": {…}, "sign": "…"}``: the signature is
  over the exact text of the ``…_response`` object, so it is cut out of
  the body as it came, never re-serialized.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class BadSignature(ValueError):
    """A signature that does not verify, or is missing."""


def unsigned(params: Mapping[str, str], skip: tuple[str, ...] = ("sign",)) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in skip and v != "")


def sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def check(public_key: rsa.RSAPublicKey, message: str, signature: str) -> None:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message.encode(),
                          padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("the signature does not verify") from exc


def signed_params(private_key: rsa.RSAPrivateKey, params: Mapping[str, str]) -> dict[str, str]:
    """``params`` with their ``sign``."""
    return {**params, "sign": sign(private_key, unsigned(params))}


def check_params(public_key: rsa.RSAPublicKey, params: Mapping[str, str],
                 notification: bool = False) -> None:  # fmt: skip
    """A request (the provider's side) or a notification (the merchant's)."""
    signature = params.get("sign")
    if not signature:
        raise BadSignature("unsigned: no sign parameter")
    if params.get("sign_type", "RSA2") != "RSA2":
        raise BadSignature(f"sign_type {params.get('sign_type')!r}")
    skip = ("sign", "sign_type") if notification else ("sign",)
    check(public_key, unsigned(params, skip), signature)


def response_name(method: str) -> str:
    return method.replace(".", "_") + "_response"


def signed_answer(private_key: rsa.RSAPrivateKey, method: str, answer: Mapping[str, object]) -> str:
    inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    return f'{{"{response_name(method)}":{inner},"sign":"{sign(private_key, inner)}"}}'


def check_answer(public_key: rsa.RSAPublicKey, method: str, body: str) -> dict[str, object]:
    """The ``…_response`` object, once its signature over the text as sent checks."""
    name = response_name(method)
    found = re.search(rf'"{re.escape(name)}"\s*:\s*', body)
    tail = re.search(r',\s*"sign"\s*:\s*"([^"]+)"\s*}\s*$', body)
    if found is None or tail is None:
        raise BadSignature(f"not a signed {name}")
    inner = body[found.end() : tail.start()]
    check(public_key, inner, tail.group(1))
    parsed = json.loads(inner)
    if not isinstance(parsed, dict):
        raise BadSignature(f"{name} is not an object")
    return parsed
