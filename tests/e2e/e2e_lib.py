"""Helpers shared by the Python end-to-end tests in this directory (the shell tests have lib.sh).

  * check() prints one numbered result line per check and remembers failures; finish() prints
    the count and exits 1 when any failed (keeping the work directory for its logs), else
    removes the work directory and exits 0;
  * free_port(), wait_for() (poll with a deadline), http_request() / http_get() on loopback;
  * start_process() starts a child with its output in a log file and waits until it is ready;
    start_apiserver() does so for a plain-HTTP `cairn apiserver`; stop_process() (SIGTERM),
    wait_exit() and kill_process() (SIGKILL) end one and reap it.

A test imports it after putting its own directory first on sys.path:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from e2e_lib import check, finish, ...
"""
import http.client
import shutil
import signal
import socket
import subprocess
import sys
import time

_checks = 0
failures = []  # the names of the checks that failed


def check(name, ok, detail=""):
    """Prints `ok N - name` or `not ok N - name`, with `  (detail)` when given (a figure worth
    seeing, or why it failed); a failure is remembered for finish()."""
    global _checks
    _checks += 1
    print(("ok" if ok else "not ok") + f" {_checks} - {name}" + (f"  ({detail})" if detail else ""),
          flush=True)
    if not ok:
        failures.append(name)
    return ok


def finish(workdir=None):
    """Ends the test: the summary line, then exit status 1 if any check failed (the work
    directory is kept and named) or 0 (it is removed)."""
    print(f"# {_checks} checks, {len(failures)} failed", flush=True)
    if failures:
        if workdir:
            print(f"# logs kept in {workdir}", flush=True)
        sys.exit(1)
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, step=0.05):
    """Calls `pred` every `step` s until it returns something true or `timeout` s passed;
    returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def http_request(port, method, path, body=None, headers=None, timeout=10):
    """One request to 127.0.0.1:port on a new connection: (status, body bytes). Connection
    errors propagate (OSError, http.client.HTTPException)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body, headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def http_get(port, path, timeout=2):
    """GET on 127.0.0.1:port: (status, text), or (None, "") when the server cannot be reached."""
    try:
        status, data = http_request(port, "GET", path, timeout=timeout)
        return status, data.decode()
    except OSError:
        return None, ""


def start_process(argv, log_path, ready, timeout=30, step=0.05, what=None):
    """Starts `argv` with stdout and stderr in `log_path` and waits until `ready()` is true. When
    it is not within `timeout` s, or the process exits first, the test ends with the log."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    if wait_for(lambda: proc.poll() is not None or ready(), timeout, step) and proc.poll() is None:
        return proc
    kill_process(proc)
    with open(log_path, errors="replace") as f:
        text = f.read()
    sys.exit(f"{what or argv[0]} did not start (exit {proc.returncode}); {log_path}:\n"
             f"{text[-4000:]}")


def start_apiserver(cairn, data_dir, port, log_path, kubeconfig_out=None):
    """`cairn apiserver --insecure` (plain HTTP) on 127.0.0.1:port, once /readyz answers 200."""
    argv = [cairn, "apiserver", "--insecure", "--data-dir", data_dir,
            "--listen", f"127.0.0.1:{port}"]
    if kubeconfig_out:
        argv += ["--kubeconfig-out", kubeconfig_out]
    return start_process(argv, log_path, lambda: http_get(port, "/readyz")[0] == 200,
                         what="cairn apiserver")


def wait_exit(proc, timeout):
    """The exit status of `proc` within `timeout` s; None when it did not exit (it is then
    killed and reaped)."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process(proc)
        return None


def stop_process(proc, timeout=30):
    """SIGTERM, then wait_exit()."""
    proc.send_signal(signal.SIGTERM)
    return wait_exit(proc, timeout)


def kill_process(proc):
    """SIGKILL (unless it has exited already) and reap."""
    proc.kill()
    proc.wait()
