"""No configured secret ever reaches chuhai's logs, at the most verbose level: passwords in
source URLs (as written and percent-decoded), secret query parameters, a source added from the
command line with credentials, and proxy credentials from the environment. The real binary runs
`once`, `run` with a SIGHUP, `sources` and `feed parse URL` against the scripted test server on
127.0.0.1 (which also serves as the proxy), and every line of output is searched."""

import os
import signal

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")

SECRETS = {
    "password in a source URL": "S3cret-Passw0rd",
    "percent-decoded password": "p@ss-W0rd-2",
    "percent-encoded password": "p%40ss-W0rd-2",
    "token in a query": "T0ken-Value-3",
    "password of a CLI source": "Cl1-Secret-4",
    "proxy password": "Pr0xy-Secret-5",
}


def main():
    f = harness.Failures()
    outputs = []  # (what, text) of everything chuhai printed

    def check_clean(what, text):
        outputs.append((what, text))
        for name, secret in SECRETS.items():
            f.check(secret not in text, f"{what}: the {name} shows:\n{text}")

    with harness.scratch_dir() as tmp, harness.ScriptedServer() as server:
        base = f"127.0.0.1:{server.port}"
        db = os.path.join(tmp, "chuhai.db")
        config = harness.write_config(os.path.join(tmp, "chuhai.yaml"), db, RULES, [
            {"url": f"http://reader:{SECRETS['password in a source URL']}@{base}/status/500", "name": "Locked"},
            {"url": f"http://reader:{SECRETS['percent-encoded password']}@{base}/status/401", "name": "Encoded"},
            {"url": f"http://{base}/status/404?token={SECRETS['token in a query']}&page=1", "name": "Tokened"},
        ], extra="log_level: trace\nfetch:\n  interval: 1s\n  min_interval: 1s\n  first_poll_spread: 0s\n")
        added = harness.run_chuhai("sources", "add",
                                   f"http://cli:{SECRETS['password of a CLI source']}@{base}/redirect/301?to=/status/410",
                                   "--name", "From CLI", "--config", config, check=0)
        check_clean("sources add", added.stdout + added.stderr)

        once = harness.run_chuhai("--log-level", "trace", "once", "--config", config, check=0)
        check_clean("once", once.stderr + once.stdout)
        f.check("reader:***@" in once.stderr, f"the source URLs were logged, masked:\n{once.stderr}")
        for args in (["sources", "list"], ["sources", "list", "--json", "--all"]):
            listed = harness.run_chuhai(*args, "--config", config, check=0)
            check_clean(" ".join(args), listed.stdout + listed.stderr)
            f.check("***" in listed.stdout, f"{args}: URLs listed with their secrets masked:\n{listed.stdout}")

        # Through a proxy with credentials (the scripted server answers proxy requests itself).
        proxy_env = {"http_proxy": f"http://px:{SECRETS['proxy password']}@{base}", "no_proxy": ""}
        proxied = harness.run_chuhai("--log-level", "trace", "once", "--config", config, env=proxy_env, check=0)
        check_clean("once through a proxy", proxied.stderr + proxied.stdout)
        f.check(any("proxy-authorization" in r["headers"] for r in server.request_log()),
                "the proxy was really used, with its credentials")
        parsed = harness.run_chuhai("--log-level", "trace", "feed", "parse",
                                    f"http://reader:{SECRETS['password in a source URL']}@{base}/status/500",
                                    env=proxy_env, check=1)
        check_clean("feed parse URL", parsed.stderr)

        # The daemon: start, cycles, a reload, a stop.
        with harness.Daemon(config, os.path.join(tmp, "daemon.log"), args=["--log-level", "trace"],
                            env=proxy_env) as daemon:
            try:
                daemon.wait_for_log("cycle:", 15, "a cycle")
                daemon.signal(signal.SIGHUP)
                daemon.wait_for_log("reload: configuration reloaded", 10, "the reload")
                cycles = daemon.log_text().count("cycle:")
                harness.wait_until(lambda: daemon.log_text().count("cycle:") > cycles, 10, "a cycle after the reload")
            except AssertionError as e:
                f.check(False, str(e))
            f.equal(daemon.stop(), 0, "exit status after SIGTERM")
            check_clean("run", daemon.log_text())
    f.check(len(outputs) >= 6 and all(text for _, text in outputs[1:]), "every command printed something")
    f.finish()


if __name__ == "__main__":
    main()
