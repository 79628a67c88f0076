"""Grading on a Dask cluster over mutual TLS (``--scheduler tls://...``): a private CA and a
certificate per role made here with ``openssl``, as docs/grading-cluster.md shows; a real
``dask scheduler`` and ``dask worker`` on 127.0.0.1 started with ``--tls-ca-file/--tls-cert/
--tls-key``; the client given the same options grades a small class of 01_perceptron right; Dask's
own configuration (``DASK_DISTRIBUTED__COMM__TLS__*``) works in their place; a client whose
certificate another CA signed, or one with no TLS at all, is refused with a clear error."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from .corpus import POINTS, WRONG, A, _nb, predict_answer
from .test_cluster import dask_cluster, grade

pytestmark = [pytest.mark.slow, pytest.mark.grading]


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A private CA (``openssl``, EC P-256): ``(certificate, key)``."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={name}", "-keyout", key, "-out", cert,
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, capture_output=True)
    return cert, key


def make_cert(folder: Path, role: str, ca: tuple[Path, Path]) -> tuple[Path, Path]:
    """A certificate for ``role`` signed by ``ca``: ``(certificate, key)``."""
    cert, key, csr = folder / f"{role}.pem", folder / f"{role}-key.pem", folder / f"{role}.csr"
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-subj", f"/CN=nncourse-{role}", "-keyout", key, "-out", csr], check=True, capture_output=True)
    ext = folder / f"{role}.ext"
    ext.write_text("extendedKeyUsage=serverAuth,clientAuth\n")  # as docs/grading-cluster.md; Dask checks no host name
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
                    "-days", "2", "-extfile", ext, "-out", cert], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The cluster's CA and a certificate per role; and a client certificate of another CA."""
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca(folder, "nncourse-ca")
    paths = {"ca": str(ca[0])}
    for role in ("scheduler", "worker", "client"):
        cert, key = make_cert(folder, role, ca)
        paths[f"{role}_cert"], paths[f"{role}_key"] = str(cert), str(key)
    stranger = make_cert(folder / "other", "client", make_ca(folder / "other", "another-ca"))
    paths["stranger_cert"], paths["stranger_key"] = str(stranger[0]), str(stranger[1])
    return paths


@pytest.fixture(scope="module")
def tls_cluster(pki, tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask-tls"), workers=1, tls=pki) as (address, _, _):
        yield address


@pytest.mark.timeout(150)
def test_a_class_graded_over_mutual_tls(pki, tls_cluster, tmp_path):
    assert tls_cluster.startswith("tls://127.0.0.1:")
    course = tmp_path / "course"
    nbformat.write(_nb(), _folder(course, "honest") / f"{A}.ipynb")
    nb = _nb()
    predict_answer(WRONG)(nb)
    nbformat.write(nb, _folder(course, "partly_wrong") / f"{A}.ipynb")
    out = grade(course, "--scheduler", tls_cluster, "--tls-ca-file", pki["ca"],
                "--tls-cert", pki["client_cert"], "--tls-key", pki["client_key"], timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"graded on the Dask cluster at {tls_cluster}, 1 Dask worker(s)" in out.stdout, out.stdout
    with open(course / "reports" / "grades.csv", newline="") as f:
        got = {(r["student"], r["exercise"]): float(r["score"]) for r in csv.DictReader(f)}
    assert got == {**{("honest", ex): float(p) for ex, p in POINTS.items()},
                   ("partly_wrong", "perceptron_predict"): 0.0,
                   ("partly_wrong", "perceptron_epoch"): float(POINTS["perceptron_epoch"])}


@pytest.mark.timeout(90)
def test_dask_configuration_works_and_strangers_are_refused(pki, tls_cluster, tmp_path, monkeypatch):
    """In-process, against the real TLS scheduler: Dask's environment variables instead of the
    options; no TLS at all; a certificate another CA signed; a missing key file."""
    import dask

    from autograder.grading import cluster
    from autograder.grading.cluster import ClusterSpec, _connect, _count_workers
    from autograder.grading.driver import GradingError

    env = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
           "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": pki["ca"],
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": pki["client_cert"],
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": pki["client_key"]}
    try:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        dask.config.refresh()
        client, _, address, _ = _connect(ClusterSpec(scheduler=tls_cluster))
        try:
            assert address == tls_cluster and _count_workers(client, address, 0, 1) == 1
        finally:
            client.close()
    finally:
        for k in env:
            monkeypatch.delenv(k)
        dask.config.refresh()

    with pytest.raises(GradingError, match=re.escape(f"the Dask scheduler at {tls_cluster} speaks TLS: give --tls-ca-file")):
        _connect(ClusterSpec(scheduler=tls_cluster))
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 3.0)  # bounds a refused connection's retries
    stranger = ClusterSpec(scheduler=tls_cluster, tls_ca_file=pki["ca"], tls_cert=pki["stranger_cert"],
                           tls_key=pki["stranger_key"])
    with pytest.raises(GradingError, match=re.escape(f"cannot reach the Dask scheduler at {tls_cluster}: ")) as e:
        _connect(stranger)
    # the handshake failed: the scheduler's alert (unknown ca) or, under TLS 1.3, its closing the
    # connection after checking the client's certificate (EOF in violation of protocol)
    assert re.search(r"SSL\w*Error", str(e.value)), e.value
    plain = tls_cluster.replace("tls://", "tcp://")
    with pytest.raises(GradingError, match=re.escape(f"cannot reach the Dask scheduler at {plain}: ")):
        _connect(ClusterSpec(scheduler=plain))  # no TLS at all
    missing = tmp_path / "no-such-key.pem"
    with pytest.raises(GradingError, match=re.escape(f"certificate {pki['client_cert']}, key {missing}): ")):
        _connect(ClusterSpec(scheduler=tls_cluster, tls_ca_file=pki["ca"], tls_cert=pki["client_cert"],
                             tls_key=str(missing)))


def test_tls_options_go_together_and_with_a_scheduler(tmp_path, capsys):
    from autograder.__main__ import main
    from autograder.grading.cluster import ClusterSpec

    with pytest.raises(ValueError, match="missing: --tls-key"):
        ClusterSpec(scheduler="tls://127.0.0.1:1", tls_ca_file="ca.pem", tls_cert="c.pem")
    for where in (["--cluster", "local:1"], []):
        assert main(["grade", A, "--course-dir", str(tmp_path), *where, "--tls-ca-file", "x"]) == 2
        assert "--tls-key go with --scheduler or --scheduler-file" in capsys.readouterr().err
    assert main(["grade", A, "--course-dir", str(tmp_path), "--scheduler", "tls://127.0.0.1:1",
                 "--tls-cert", "x"]) == 2
    assert "missing: --tls-ca-file, --tls-key" in capsys.readouterr().err


def _folder(course: Path, student: str) -> Path:
    d = course / "submitted" / student / A
    d.mkdir(parents=True)
    state = course / "reports" / ".state" / A
    if not state.exists():
        state.mkdir(parents=True)
        (state / "seed").write_text("20261201")
    return d

