"""A self-signed certificate for ``localhost`` and ``127.0.0.1``, made once per directory.

AWS's HTTP/2 client negotiates HTTP/2 only through TLS's ALPN (plain ``http://`` gives it
HTTP/1.1, on which it cannot stream both ways), so the local runtime serves TLS. The
certificate is its own authority: a caller trusts it by loading ``cert.pem`` as its CA file.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

HOSTS = ("localhost", "127.0.0.1")


def certificate(directory: Path) -> tuple[Path, Path]:
    """``(cert.pem, key.pem)`` in ``directory``, made if missing."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "whisper-sagemaker local runtime")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName(HOSTS[0]), x509.IPAddress(ipaddress.ip_address(HOSTS[1]))]
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.SubjectAlternativeName(names), critical=False)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(private, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key.chmod(0o600)
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    return cert, key
