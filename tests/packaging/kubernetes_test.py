"""deploy/kubernetes/: every manifest parses (python3-yaml) and passes the Kubernetes API's schemas
offline (kubernetes/validate.mjs: kubernetes-models from npm, plus a check of field names that
catches misspellings), and what the manifests count on from ssrd holds for the real ssrd:

- the ssrd container's configuration (its ConfigMap, args and env, over the image's ENV in the
  Dockerfile) is accepted by `ssrd --print-config`, which also gives the values in force;
- terminationGracePeriodSeconds exceeds the preStop pause + drain-timeout-ms + the 3 s of worker
  stop escalation;
- liveness probes /healthz and readiness /readyz, on the port metrics-listen binds, on an address
  the kubelet can reach (not loopback); a real ssrd with that configuration answers 200 on both;
- every flag in the args is in `ssrd --help`; the image is ssrd:<project version>;
- sidecar: the app and ssrd mount the same emptyDir and the app's SSRD_SOCKET is ssrd's socket;
- shared: the token file is in a Secret volume, the Service targets the --listen port, the HPA
  scales the Deployment on CPU and the container requests CPU, the PDB selects the pods and
  never blocks every eviction nor allows evicting all of them.
"""
import copy
import glob
import json
import os
import re
import shlex
import unittest

import yaml

import support

DEPLOY = os.path.join(support.SOURCE_DIR, "deploy", "kubernetes")
VALIDATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kubernetes", "validate.mjs")
SSRD = os.path.join(support.BUILD_DIR, "bin", "ssrd")
WORKER_STOP_ESCALATION_S = 3  # docs/operations.md, "Signals": 1 s, then SIGTERM, 2 s, SIGKILL


def load_manifests():
    documents = []
    for path in sorted(glob.glob(os.path.join(DEPLOY, "**", "*.yaml"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            for index, document in enumerate(yaml.safe_load_all(f)):
                if document is not None:
                    documents.append((f"{os.path.relpath(path, DEPLOY)}#{index}", document))
    return documents


def image_environment():
    """The ENV of the Dockerfile's last stage: what an ssrd container starts with."""
    with open(os.path.join(support.SOURCE_DIR, "Dockerfile"), encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    env = {}
    for line in text.splitlines():
        words = line.split(None, 1)
        if words and words[0] == "FROM":
            env = {}
        elif words and words[0] == "ENV" and len(words) == 2:
            for pair in shlex.split(words[1]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def help_text():
    return support.run([SSRD, "--help"]).stdout


def for_this_machine(args, tmp):
    """args with the TCP listener moved to a free loopback port and the token file (a Secret in
    the cluster) replaced by one written here, so the same configuration runs in the test."""
    local = list(args)
    if "--listen" in local:
        local[local.index("--listen") + 1] = f"127.0.0.1:{support.free_port()}"
    if "--auth-token-file" in local:
        tokens = os.path.join(tmp, "tokens")
        with open(tokens, "w") as f:
            f.write("a-test-token-of-32-characters-xx\n")
        os.chmod(tokens, 0o600)
        local[local.index("--auth-token-file") + 1] = tokens
    return local


class Workload:
    """One Deployment's pod template and what it says about its ssrd container."""

    def __init__(self, source, deployment, config_maps):
        self.source = source
        self.deployment = deployment
        self.pod = deployment["spec"]["template"]["spec"]
        self.labels = deployment["spec"]["template"]["metadata"]["labels"]
        self.ssrd = next(c for c in self.pod["containers"] if c.get("command", [None])[0] == "ssrd")
        self.volumes = {v["name"]: v for v in self.pod.get("volumes", [])}
        self.config_maps = config_maps

    def mount_of(self, container, path):
        """(volume, path inside it) of the mount that holds `path` in `container`."""
        best = None
        for mount in container.get("volumeMounts", []):
            root = mount["mountPath"].rstrip("/")
            if path == root or path.startswith(root + "/"):
                if best is None or len(root) > len(best[1]):
                    best = (mount["name"], root)
        if best is None:
            return None, None
        return self.volumes[best[0]], os.path.relpath(path, best[1])

    def write_config(self, directory):
        """The container's files from ConfigMaps, written under `directory`; returns the args with
        their paths rewritten to there."""
        args = list(self.ssrd.get("args", []))
        for i, arg in enumerate(args):
            volume, inside = self.mount_of(self.ssrd, arg) if arg.startswith("/") else (None, None)
            if volume and "configMap" in volume:
                data = self.config_maps[volume["configMap"]["name"]]["data"]
                target = os.path.join(directory, inside)
                with open(target, "w", encoding="utf-8") as f:
                    f.write(data[inside])
                args[i] = target
        return args

    def environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSRD_")}
        env.update(image_environment())
        env.update({e["name"]: e["value"] for e in self.ssrd.get("env", []) if "value" in e})
        return env

    def effective_config(self, tmp, help_output):
        args = for_this_machine(self.write_config(tmp), tmp)
        printed = support.run([SSRD] + args + ["--print-config"], env=self.environment()).stdout
        config = {}
        for line in printed.splitlines():
            match = re.match(r'^([a-z0-9-]+) = (.*?)  # (.*)$', line)
            if match:
                config[match.group(1)] = (json.loads(match.group(2))
                                          if match.group(2)[:1] in '"[' or match.group(2).isdigit()
                                          else match.group(2))
        return config

    def pre_stop_seconds(self):
        command = self.ssrd.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
        if not command:
            return 0
        assert command[0] == "sleep" and len(command) == 2, f"{self.source}: preStop {command}"
        return float(command[1])

    def port_number(self, port):
        if isinstance(port, int):
            return port
        return next(p["containerPort"] for p in self.ssrd.get("ports", []) if p.get("name") == port)


class KubernetesManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.documents = load_manifests()
        cls.help = help_text()
        cls.config_maps = {d["metadata"]["name"]: d for _, d in cls.documents
                           if d["kind"] == "ConfigMap"}
        cls.workloads = [Workload(source, d, cls.config_maps) for source, d in cls.documents
                         if d["kind"] == "Deployment"]

    def validate(self, documents):
        payload = json.dumps([{"source": s, "object": d} for s, d in documents])
        return support.run([support.tool("node"), VALIDATOR], input=payload, check=False)

    def objects(self, kind):
        return [d for _, d in self.documents if d["kind"] == kind]

    def test_every_manifest_passes_the_kubernetes_schemas(self):
        kinds = {d["kind"] for _, d in self.documents}
        self.assertTrue({"Deployment", "ConfigMap", "Service", "HorizontalPodAutoscaler",
                         "PodDisruptionBudget"} <= kinds, kinds)
        result = self.validate(self.documents)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_validator_rejects_a_misspelt_field_and_a_missing_one(self):
        source, deployment = next((s, d) for s, d in self.documents if d["kind"] == "Deployment")
        misspelt = copy.deepcopy(deployment)
        pod = misspelt["spec"]["template"]["spec"]
        pod["terminationGracePeriodSecond"] = pod.pop("terminationGracePeriodSeconds")
        missing = copy.deepcopy(deployment)
        probe = next(c for c in missing["spec"]["template"]["spec"]["containers"]
                     if "readinessProbe" in c)["readinessProbe"]
        del probe["httpGet"]["port"]
        result = self.validate([(source + " misspelt", misspelt), (source + " missing", missing)])
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("terminationGracePeriodSecond: unknown field", result.stdout)
        self.assertIn("must have required property port", result.stdout)

    def test_the_image_is_this_versions_ssrd(self):
        for workload in self.workloads:
            self.assertEqual(workload.ssrd["image"].rsplit("/", 1)[-1],
                             f"ssrd:{support.PROJECT_VERSION}", workload.source)

    def test_every_flag_is_one_ssrd_has(self):
        for workload in self.workloads:
            for arg in workload.ssrd.get("args", []):
                if not arg.startswith("--"):
                    continue
                known = re.search(rf"(^|[\s,]){re.escape(arg)}\b", self.help, re.M)
                self.assertTrue(known, f"{workload.source}: {arg}")

    def test_the_grace_period_covers_the_pause_the_drain_and_the_worker_stop(self):
        for workload in self.workloads:
            config = workload.effective_config(support.make_tmp(self.addCleanup), self.help)
            needed = (workload.pre_stop_seconds() + config["drain-timeout-ms"] / 1000
                      + WORKER_STOP_ESCALATION_S)
            self.assertGreater(workload.pod["terminationGracePeriodSeconds"], needed,
                               workload.source)

    def test_probes_are_on_the_metrics_endpoint_and_a_real_ssrd_answers_them(self):
        for workload in self.workloads:
            tmp = support.make_tmp(self.addCleanup)
            config = workload.effective_config(tmp, self.help)
            host, _, port = config["metrics-listen"].rpartition(":")
            self.assertNotIn(host.strip("[]"), ("127.0.0.1", "::1", "localhost"), workload.source)
            probes = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
            for probe, path in probes.items():
                get = workload.ssrd[probe]["httpGet"]
                self.assertEqual(get["path"], path, f"{workload.source} {probe}")
                self.assertEqual(workload.port_number(get["port"]), int(port),
                                 f"{workload.source} {probe}")
            # The same configuration, on this machine's loopback and the example app.
            args = for_this_machine(workload.write_config(tmp), tmp)
            local_port = support.free_port()
            daemon = support.Daemon(
                self.addCleanup,
                [SSRD] + args + ["--bundle", os.path.join(support.REACT_APP, "dist", "server.mjs"),
                                 "--socket", os.path.join(tmp, "ssrd.sock"), "--workers", "1",
                                 "--snapshot-dir", os.path.join(tmp, "snapshots"),
                                 "--metrics-listen", f"127.0.0.1:{local_port}"],
                tmp, env=workload.environment())
            daemon.wait_ready()
            for path in probes.values():
                self.assertEqual(support.http_status(f"http://127.0.0.1:{local_port}{path}"), 200,
                                 f"{workload.source} {path}\n{daemon.logs()}")
            self.assertEqual(daemon.stop(), 0, daemon.logs())

    def test_the_sidecars_app_finds_ssrds_socket_on_their_shared_volume(self):
        sidecars = [w for w in self.workloads if len(w.pod["containers"]) > 1]
        self.assertTrue(sidecars)
        for workload in sidecars:
            config = workload.effective_config(support.make_tmp(self.addCleanup), self.help)
            ssrd_volume, ssrd_inside = workload.mount_of(workload.ssrd, config["socket"])
            self.assertIsNotNone(ssrd_volume, f"{workload.source}: socket not on a volume")
            self.assertIn("emptyDir", ssrd_volume)
            for app in (c for c in workload.pod["containers"] if c is not workload.ssrd):
                socket_env = {e["name"]: e.get("value") for e in app.get("env", [])}
                self.assertEqual(socket_env.get("SSRD_SOCKET"), config["socket"], app["name"])
                self.assertEqual(workload.mount_of(app, config["socket"]),
                                 (ssrd_volume, ssrd_inside), app["name"])

    def test_the_shared_deployment_is_served_scaled_and_protected(self):
        shared = [w for w in self.workloads if "--listen" in w.ssrd.get("args", [])]
        self.assertTrue(shared)
        for workload in shared:
            args = workload.ssrd["args"]
            token_file = args[args.index("--auth-token-file") + 1]
            volume, _ = workload.mount_of(workload.ssrd, token_file)
            self.assertIsNotNone(volume, token_file)
            self.assertIn("secret", volume)
            listen_port = int(args[args.index("--listen") + 1].rpartition(":")[2])
            name = workload.deployment["metadata"]["name"]

            def selects(selector):
                return all(workload.labels.get(k) == v for k, v in selector.items())

            services = [s for s in self.objects("Service") if selects(s["spec"]["selector"])]
            self.assertTrue(services, name)
            for service in services:
                for port in service["spec"]["ports"]:
                    self.assertEqual(workload.port_number(port["targetPort"]), listen_port)
            hpas = [h for h in self.objects("HorizontalPodAutoscaler")
                    if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1",
                                                       "kind": "Deployment", "name": name}]
            self.assertEqual(len(hpas), 1, name)
            resources = {m["resource"]["name"] for m in hpas[0]["spec"]["metrics"]
                         if m["type"] == "Resource"}
            self.assertIn("cpu", resources)
            self.assertIn("cpu", workload.ssrd["resources"]["requests"])
            pdbs = [p for p in self.objects("PodDisruptionBudget")
                    if selects(p["spec"]["selector"]["matchLabels"])]
            self.assertEqual(len(pdbs), 1, name)
            budget = pdbs[0]["spec"]
            replicas = hpas[0]["spec"]["minReplicas"]
            if "maxUnavailable" in budget:
                self.assertTrue(0 < budget["maxUnavailable"] < replicas, budget)
            else:
                self.assertTrue(0 < budget["minAvailable"] < replicas, budget)


if __name__ == "__main__":
    unittest.main()
