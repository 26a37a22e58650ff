import Foundation
import Testing
@testable import CEAuthCore

/// The release people install (Scripts/release, then Scripts/package): the Debian package, the
/// checksums and their signature, and install.sh. Skipped where dist/ holds no package.
extension CLITests {
    static var dist: String { packageRoot + "/dist" }

    static var debianPackage: String? {
        (try? FileManager.default.contentsOfDirectory(atPath: dist))?.first { $0.hasPrefix("ceauth_") && $0.hasSuffix("_amd64.deb") }
            .map { dist + "/" + $0 }
    }

    func tool(_ executable: String, _ arguments: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"]) async throws -> Run {
        try await run(arguments, environment: environment, executable: executable)
    }

    @Test func theDebianPackageHoldsTheBinaryItsManPageAndCompletions() async throws {
        guard let deb = Self.debianPackage else { print("skipped: no package in dist/ (Scripts/release makes it)"); return }
        let info = try await tool("/usr/bin/dpkg-deb", ["-I", deb])
        #expect(info.status == 0)
        for field in ["Package: ceauth", "Version: \(BuildInfo.version)", "Architecture: amd64", "libc6 (>=", "libssl3", "libcurl4 (>= 7.80)"] {
            #expect(info.stdout.contains(field), "\(field) missing: \(info.stdout)")
        }
        let contents = try await tool("/usr/bin/dpkg-deb", ["-c", deb])
        for path in ["./usr/bin/ceauth", "./usr/share/man/man1/ceauth.1.gz", "./usr/share/bash-completion/completions/ceauth",
                     "./usr/share/zsh/vendor-completions/_ceauth", "./usr/share/fish/vendor_completions.d/ceauth.fish",
                     "./usr/share/doc/ceauth/copyright", "./usr/share/doc/ceauth/changelog.gz"] {
            #expect(contents.stdout.contains(" " + path + "\n"), "\(path) missing")
        }
        #expect(contents.stdout.split(separator: "\n").allSatisfy { $0.contains(" root/root ") }, "a member not owned by root")

        // Unpacked into a root of its own: the binary is dist/ceauth, the completions complete.
        let root = TemporaryDirectory()
        #expect(try await tool("/usr/bin/dpkg-deb", ["-x", deb, root.path]).status == 0)
        let binary = root.path + "/usr/bin/ceauth"
        #expect(FileManager.default.contentsEqual(atPath: binary, andPath: Self.dist + "/ceauth"))
        let bash = try await tool("/bin/bash", ["-c", """
            source '\(root.path)/usr/share/bash-completion/completions/ceauth'
            COMP_WORDS=('\(binary)' lo); COMP_CWORD=1; COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _ceauth '\(binary)' lo '\(binary)'; printf '%s\\n' "${COMPREPLY[@]}"
            """])
        #expect(bash.stdout.split(separator: "\n").contains("login"), "bash: \(bash.stdout) \(bash.stderr)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/fish") {
            let fish = try await tool("/usr/bin/fish", ["-c", "set PATH \(root.path)/usr/bin $PATH; source '\(root.path)/usr/share/fish/vendor_completions.d/ceauth.fish'; complete -C 'ceauth lo'"],
                                      environment: ["PATH": "/usr/bin:/bin", "HOME": root.path])
            #expect(fish.stdout.hasPrefix("login"), "fish: \(fish.stdout) \(fish.stderr)")
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh") {
            let zsh = try await tool("/usr/bin/zsh", ["-fc", "fpath=('\(root.path)/usr/share/zsh/vendor-completions' $fpath); autoload -U compinit; compinit -u -d '\(root.path)/zcompdump'; autoload -U _ceauth; whence -w _ceauth"],
                                     environment: ["PATH": "/usr/bin:/bin", "HOME": root.path])
            #expect(zsh.stdout.contains("_ceauth: function"), "zsh: \(zsh.stdout) \(zsh.stderr)")
        }
        // The man page renders.
        let man = try await tool("/usr/bin/man", ["-l", root.path + "/usr/share/man/man1/ceauth.1.gz"],
                                 environment: ["PATH": "/usr/bin:/bin", "MANPAGER": "cat", "MANWIDTH": "80", "TERM": "dumb"])
        #expect(man.status == 0 && man.stdout.contains("ceauth"), "man: \(man.stderr)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian") {
            let lint = try await tool("/usr/bin/lintian", ["--tag-display-limit", "0", deb], environment: ["PATH": "/usr/bin:/bin", "HOME": root.path])
            #expect(!lint.stdout.split(separator: "\n").contains { $0.hasPrefix("E:") }, "lintian: \(lint.stdout)")
        }
    }

    @Test func installShChecksEverythingInstallsUnderAPrefixAndUninstallsExactly() async throws {
        guard Self.debianPackage != nil, FileManager.default.fileExists(atPath: Self.dist + "/install.sh") else {
            print("skipped: no install.sh in dist/ (Scripts/release makes it)"); return
        }
        let sums = try await run(["-c", "cd '\(Self.dist)' && sha256sum -c SHA256SUMS"], environment: ["PATH": "/usr/bin:/bin"], executable: "/bin/sh")
        #expect(sums.status == 0, "\(sums.stdout)")
        // A copy of the release, installed into a temporary prefix and removed again.
        let work = TemporaryDirectory()
        let copy = work.path + "/release", prefix = work.path + "/prefix"
        try copyFiles(from: Self.dist, to: copy)
        let installed = try await tool("/bin/sh", [copy + "/install.sh", "--prefix", prefix])
        #expect(installed.status == 0, "\(installed.stderr)")
        let files = Self.files(under: prefix).filter { !$0.hasSuffix("/") }
        for path in ["bin/ceauth", "share/man/man1/ceauth.1.gz", "share/bash-completion/completions/ceauth",
                     "share/zsh/site-functions/_ceauth", "share/fish/vendor_completions.d/ceauth.fish"] {
            #expect(files.contains(path), "\(path) not installed: \(files)")
        }
        let version = try await tool(prefix + "/bin/ceauth", ["--version"])
        #expect(version.stdout.hasPrefix(BuildInfo.version))
        let removed = try await tool("/bin/sh", [copy + "/install.sh", "--uninstall", "--prefix", prefix])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(Self.files(under: prefix).isEmpty, "left behind: \(Self.files(under: prefix))")

        // One byte changed in the binary: refused, naming it, nothing installed.
        let tampered = FileHandle(forUpdatingAtPath: copy + "/ceauth")!
        tampered.seek(toFileOffset: 4096)
        let byte = tampered.readData(ofLength: 1)
        tampered.seek(toFileOffset: 4096)
        tampered.write(Data([byte[0] ^ 0xFF]))
        try tampered.close()
        let refused = try await tool("/bin/sh", [copy + "/install.sh", "--prefix", prefix])
        #expect(refused.status == 1 && refused.stderr.contains("ceauth: FAILED"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: prefix + "/bin/ceauth"))
    }

    @Test func theChecksumsAreSignedAndASignatureThatDoesNotMatchIsRefused() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/minisign"), Self.debianPackage != nil else {
            print("skipped: needs minisign and a release in dist/"); return
        }
        // A throwaway key, never the project's: the release signed with it, verified, then refused once changed.
        let work = TemporaryDirectory()
        let copy = work.path + "/release"
        try copyFiles(from: Self.dist, to: copy)
        let made = try await tool("/usr/bin/minisign", ["-G", "-W", "-p", work.path + "/test.pub", "-s", work.path + "/test.key"])
        #expect(made.status == 0, "\(made.stderr)")
        let signed = try await tool("/usr/bin/minisign", ["-S", "-W", "-s", work.path + "/test.key", "-m", copy + "/SHA256SUMS"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let verified = try await tool("/usr/bin/minisign", ["-V", "-p", work.path + "/test.pub", "-m", copy + "/SHA256SUMS"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let prefix = work.path + "/prefix"
        // The project's key (carried by install.sh) did not sign it: refused; the test key: installed.
        let notOurs = try await tool("/bin/sh", [copy + "/install.sh", "--prefix", prefix])
        #expect(notOurs.status == 1 && notOurs.stderr.contains("with the project's key"), "\(notOurs.stderr)")
        let installed = try await tool("/bin/sh", [copy + "/install.sh", "--prefix", prefix, "--public-key", work.path + "/test.pub"])
        #expect(installed.status == 0 && installed.stdout.contains("signature verified"), "\(installed.stderr)")
        _ = try await tool("/bin/sh", [copy + "/install.sh", "--uninstall", "--prefix", prefix])
        // SHA256SUMS rewritten to match a changed file: the checksums pass, the signature does not.
        try (try String(contentsOfFile: copy + "/SHA256SUMS", encoding: .utf8) + "\n").write(toFile: copy + "/SHA256SUMS", atomically: true, encoding: .utf8)
        let refused = try await tool("/bin/sh", [copy + "/install.sh", "--prefix", prefix, "--public-key", work.path + "/test.pub"])
        #expect(refused.status == 1 && refused.stderr.contains("does not verify"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: prefix + "/bin/ceauth"))
    }
}

extension CLITests {
    /// `--version --json`: the version, the commit, and for the release the build date, which is
    /// the commit's time (SOURCE_DATE_EPOCH), never the clock of the build.
    @Test func versionJSONGivesTheCommitAndTheReleasesBuildDate() async throws {
        let debug = try await run(["--version", "--json"], environment: [:])
        let json = try JSONValue.parse(Data(debug.stdout.utf8))
        #expect(json["version"] == .string(BuildInfo.version) && json["commit"] == .string(BuildInfo.commit))
        let release = Self.dist + "/ceauth"
        guard FileManager.default.isExecutableFile(atPath: release) else { print("skipped: no dist/ceauth"); return }
        let built = try await run(["--version", "--json"], environment: [:], executable: release)
        let date = try JSONValue.parse(Data(built.stdout.utf8))["buildDate"]?.stringValue
        let commitTime = try await tool("/usr/bin/git", ["-C", Self.packageRoot, "log", "-1", "--format=%ct"])
        if let seconds = Double(commitTime.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
            #expect(date == LoginPlan.timestamp(Date(timeIntervalSince1970: seconds)), "\(built.stdout)")
        } else {
            #expect(date != nil, "\(built.stdout)")
        }
    }
}
