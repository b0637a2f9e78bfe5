"""The Debian package, built by CPack from this build tree into a temporary directory, checked the
way Debian checks packages, and used without installing it on this machine:

- lintian finds no error and no warning (the informational tags it shows are explained in
  docs/operations.md, "Debian package");
- its control data: name, version, Depends on libnode108 and the libraries dpkg-shlibdeps found,
  the conffile, the maintainer scripts;
- unpacked with dpkg-deb -x, the unpacked ssrd, ssrd-worker and ssrctl render examples/react-app
  like Node does (LD_LIBRARY_PATH names libnode when it is unpacked in third_party/ rather than
  installed), and systemd-analyze verifies the units;
- installed and purged with `dpkg --root` into a temporary directory, with its own dpkg database:
  the maintainer scripts run unchrooted with DPKG_ROOT set, and stubs ahead on PATH record any
  command that would reach the running system (there must be none). The postinst creates the ssrd
  user in that root's /etc/passwd (systemd-sysusers --root), the conffile is registered, removal
  keeps it, purge removes it and the snapshot cache.
- the postinst's fallback where systemd-sysusers is missing (a container without systemd): run
  alone with stubs for every command, it calls adduser for a system user.
"""
import glob
import os
import re
import stat
import unittest

import support

PACKAGING = os.path.join(support.SOURCE_DIR, "packaging", "deb")
# The commands through which a maintainer script could change the running system.
HOST_COMMANDS = ["systemctl", "deb-systemd-helper", "deb-systemd-invoke", "adduser", "addgroup",
                 "useradd", "groupadd", "userdel", "deluser", "invoke-rc.d"]


def libnode_dir():
    """Where the build found libnode.so.108, if that is not the system's library path."""
    with open(os.path.join(support.BUILD_DIR, "CMakeCache.txt"), encoding="utf-8") as f:
        match = re.search(r"^V8_LIBRARY:FILEPATH=(.*)$", f.read(), re.M)
    directory = os.path.dirname(match.group(1))
    return None if directory.startswith("/usr/lib") else directory


def write_stubs(directory, log, commands):
    """Scripts named after `commands` that append their name and arguments to `log`, then fail."""
    os.makedirs(directory, exist_ok=True)
    for command in commands:
        path = os.path.join(directory, command)
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\necho "{command} $*" >> "{log}"\nexit 1\n')
        os.chmod(path, 0o755)


class DebianPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = support.make_tmp(cls.addClassCleanup)
        out = os.path.join(cls.tmp, "out")
        support.run([support.tool("cpack"), "--config",
                     os.path.join(support.BUILD_DIR, "CPackConfig.cmake"), "-B", out], timeout=540)
        debs = glob.glob(os.path.join(out, "*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.unpacked = os.path.join(cls.tmp, "unpacked")
        support.run([support.tool("dpkg-deb"), "-x", cls.deb, cls.unpacked])
        cls.control = os.path.join(cls.tmp, "control")
        support.run([support.tool("dpkg-deb"), "-e", cls.deb, cls.control])

    def field(self, name):
        return support.run([support.tool("dpkg-deb"), "-f", self.deb, name]).stdout.strip()

    def test_is_named_for_the_version_and_architecture(self):
        arch = support.run([support.tool("dpkg"), "--print-architecture"]).stdout.strip()
        self.assertEqual(os.path.basename(self.deb), f"ssrd_{support.PROJECT_VERSION}_{arch}.deb")
        self.assertEqual(self.field("Package"), "ssrd")
        self.assertEqual(self.field("Version"), support.PROJECT_VERSION)
        with open(os.path.join(PACKAGING, "changelog"), encoding="utf-8") as f:
            self.assertTrue(f.readline().startswith(f"ssrd ({support.PROJECT_VERSION}) "),
                            "packaging/deb/changelog's first entry is not this version")

    def test_lintian_finds_no_error_and_no_warning(self):
        result = support.run([support.tool("lintian"), "--no-cfg", "--fail-on", "error,warning",
                              self.deb], timeout=540, check=False)
        self.assertEqual(re.findall(r"^[EW]: .*$", result.stdout, re.M), [], result.stdout)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_depends_on_libnode108_and_every_library_the_programs_load(self):
        depends = [d.strip() for d in self.field("Depends").split(",")]
        names = {re.split(r"[\s(]", d)[0] for d in depends}
        self.assertIn("libnode108", names, depends)
        for expected in ("libc6", "libstdc++6", "libuv1", "libsystemd0", "adduser"):
            self.assertIn(expected, names, depends)
        # Every shared library the unpacked programs need belongs to a package named there.
        for program in ("ssrd", "ssrd-worker", "ssrctl"):
            elf = support.run(["/usr/bin/readelf", "-d",
                               os.path.join(self.unpacked, "usr", "bin", program)]).stdout
            self.assertNotIn("RUNPATH", elf, program)
            self.assertNotIn("RPATH", elf, program)
            for soname in re.findall(r"\(NEEDED\).*\[(.+)\]", elf):
                if soname == "libnode.so.108":
                    continue  # perhaps unpacked in third_party/, which dpkg does not know
                owner = support.run(["/usr/bin/dpkg", "-S", f"*/{soname}"]).stdout
                # One line per owner ("libc6:amd64: /lib/...", "libc6-i386: /lib32/..."), and a
                # line may name several packages ("a, b: path").
                packages = {p.split(":")[0] for line in owner.splitlines()
                            for p in line.split(": ")[0].split(", ") if p}
                for package in list(packages):  # e.g. libspdlog1.10 provides libspdlog1.10-fmt9
                    provides = support.run(["/usr/bin/dpkg-query", "-W", "-f=${Provides}",
                                            package]).stdout
                    packages |= {re.split(r"[\s(]", p.strip())[0] for p in provides.split(",")}
                self.assertTrue(packages & names, f"{program}: {soname} from {packages}")

    def test_holds_the_units_the_conffile_the_user_and_the_man_pages(self):
        for path in ("usr/bin/ssrd", "usr/bin/ssrd-worker", "usr/bin/ssrctl",
                     "lib/systemd/system/ssrd.service", "lib/systemd/system/ssrd.socket",
                     "etc/ssrd/ssrd.toml", "usr/lib/sysusers.d/ssrd.conf",
                     "usr/share/man/man1/ssrd.1.gz", "usr/share/man/man1/ssrctl.1.gz",
                     "usr/share/man/man1/ssrd-worker.1.gz", "usr/share/doc/ssrd/copyright",
                     "usr/share/doc/ssrd/changelog.gz", "usr/share/doc/ssrd/operations.md"):
            self.assertTrue(os.path.exists(os.path.join(self.unpacked, path)), path)
        for dev in ("usr/include", "usr/lib/cmake", "usr/lib/pkgconfig"):
            self.assertFalse(os.path.exists(os.path.join(self.unpacked, dev)), dev)
        with open(os.path.join(self.control, "conffiles"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["/etc/ssrd/ssrd.toml"])
        for script in ("postinst", "prerm", "postrm"):
            mode = os.stat(os.path.join(self.control, script)).st_mode
            self.assertEqual(stat.S_IMODE(mode), 0o755, script)
        with open(os.path.join(self.unpacked, "lib/systemd/system/ssrd.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/bin/ssrd --config /etc/ssrd/ssrd.toml\n", unit)
        with open(os.path.join(self.unpacked, "lib/systemd/system/ssrd.socket")) as f:
            self.assertIn("ListenStream=/run/ssrd/ssrd.sock\n", f.read())

    def test_systemd_verifies_the_units(self):
        # systemd-analyze verify wants the programs the units start to exist: the units are checked
        # with /usr/bin/ pointing into the unpacked tree (the paths themselves are checked above).
        tmp = support.make_tmp(self.addCleanup)
        for unit in ("ssrd.service", "ssrd.socket"):
            with open(os.path.join(self.unpacked, "lib/systemd/system", unit)) as f:
                text = f.read().replace("=/usr/bin/", f"={self.unpacked}/usr/bin/")
            with open(os.path.join(tmp, unit), "w") as f:
                f.write(text)
        result = support.run([support.tool("systemd-analyze"), "verify", "--man=no",
                              os.path.join(tmp, "ssrd.service"), os.path.join(tmp, "ssrd.socket")],
                             check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")

    def test_the_unpacked_programs_render_the_example_app(self):
        tmp = support.make_tmp(self.addCleanup)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSRD_")}
        if libnode_dir():
            env["LD_LIBRARY_PATH"] = libnode_dir()
        bindir = os.path.join(self.unpacked, "usr", "bin")
        usage = support.run([os.path.join(bindir, "ssrd"), "--help"], env=env).stdout
        self.assertIn("--bundle", usage)
        socket_path = os.path.join(tmp, "ssrd.sock")
        # ssrd starts the ssrd-worker beside it: the unpacked one.
        daemon = support.Daemon(
            self.addCleanup,
            [os.path.join(bindir, "ssrd"), "--config", os.path.join(self.unpacked, "etc/ssrd/ssrd.toml"),
             "--bundle", os.path.join(support.REACT_APP, "dist", "server.mjs"),
             "--socket", socket_path, "--workers", "1",
             "--snapshot-dir", os.path.join(tmp, "snapshots")],
            tmp, env=env)
        daemon.wait_ready()
        with open(os.path.join(support.REACT_APP, "expected", "tiny.props.json")) as f:
            props = f.read()
        rendered = support.run([os.path.join(bindir, "ssrctl"), "--socket", socket_path,
                                "render", "Tiny", "--props", props], env=env).stdout
        with open(os.path.join(support.REACT_APP, "expected", "tiny.html")) as f:
            self.assertEqual(rendered.strip(), f.read().strip())
        self.assertEqual(daemon.stop(), 0, daemon.logs())

    def test_dpkg_installs_and_purges_it_in_a_root_of_its_own(self):
        tmp = support.make_tmp(self.addCleanup)
        root = os.path.join(tmp, "root")
        admin = os.path.join(root, "var", "lib", "dpkg")
        for directory in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, directory))
        for file in ("status", "available"):
            open(os.path.join(admin, file), "w").close()
        log = os.path.join(tmp, "host-commands.log")
        stubs = os.path.join(tmp, "stubs")
        write_stubs(stubs, log, HOST_COMMANDS)
        env = dict(os.environ, PATH=f"{stubs}:/usr/sbin:/usr/bin:/sbin:/bin")
        dpkg = [support.tool("dpkg"), f"--root={root}", "--force-script-chrootless",
                "--force-depends", "--log=" + os.path.join(tmp, "dpkg.log")]

        support.run(dpkg + ["--install", self.deb], env=env)
        with open(os.path.join(root, "etc", "passwd")) as f:
            self.assertRegex(f.read(), r"(?m)^ssrd:x:\d+:\d+:.*:/nonexistent:/usr/sbin/nologin$")
        self.assertTrue(os.path.exists(os.path.join(root, "etc", "ssrd", "ssrd.toml")))
        status = support.run(dpkg + ["--status", "ssrd"], env=env).stdout
        self.assertIn("Status: install ok installed", status)
        self.assertRegex(status, r"Conffiles:\n /etc/ssrd/ssrd.toml [0-9a-f]{32}")

        cache = os.path.join(root, "var", "cache", "ssrd")
        os.makedirs(cache)
        open(os.path.join(cache, "bundle.snapshot"), "w").close()
        support.run(dpkg + ["--remove", "ssrd"], env=env)
        self.assertFalse(os.path.exists(os.path.join(root, "usr", "bin", "ssrd")))
        self.assertTrue(os.path.exists(os.path.join(root, "etc", "ssrd", "ssrd.toml")),
                        "remove keeps the conffile")
        support.run(dpkg + ["--purge", "ssrd"], env=env)
        self.assertFalse(os.path.exists(os.path.join(root, "etc", "ssrd")))
        self.assertFalse(os.path.exists(cache))
        self.assertFalse(os.path.exists(log) and open(log).read(),
                         "a maintainer script reached the running system: "
                         + (open(log).read() if os.path.exists(log) else ""))

    def test_without_systemd_sysusers_the_postinst_calls_adduser(self):
        tmp = support.make_tmp(self.addCleanup)
        log = os.path.join(tmp, "commands.log")
        stubs = os.path.join(tmp, "stubs")
        write_stubs(stubs, log, HOST_COMMANDS + ["getent"])
        # adduser must succeed for the script to go on; getent fails: no such user yet.
        with open(os.path.join(stubs, "adduser"), "w") as f:
            f.write(f'#!/bin/sh\necho "adduser $*" >> "{log}"\n')
        support.run(["/bin/sh", os.path.join(self.control, "postinst"), "configure"],
                    env={"PATH": stubs})
        with open(log) as f:
            calls = f.read().splitlines()
        adduser = [c for c in calls if c.startswith("adduser ")]
        self.assertEqual(len(adduser), 1, calls)
        for word in ("--system", "--group", "--no-create-home", "ssrd"):
            self.assertIn(word, adduser[0].split())


if __name__ == "__main__":
    unittest.main()
