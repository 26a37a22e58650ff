/// A profile's `*-secret-command`: run without a shell (the line is split at spaces; quotes are
/// not interpreted), its first line of output is the secret. Bounded in time and size; its
/// output is never shown. It gets ceauth's environment without the other secrets, in a process
/// group of its own.
public enum SecretCommand {
    public static func run(_ line: String, key: String, environment: [String: String], timeoutSeconds: Double) throws -> String {
        let words = Self.words(line)
        func fail(_ reason: String) -> ConfigurationError {
            .invalidValue(option: "\(key) (\(words.first ?? "empty"))", reason: reason)
        }
        guard let name = words.first else { throw fail("the command is empty") }
        if let problem = problem(name) { throw fail(problem) }
        guard let executable = ExecutableLookup.resolve(name, environment: environment) else {
            throw fail("'\(name)' is not an executable file or on PATH")
        }
        guard let (pid, output, errors) = OS.spawnCapturing(executable, arguments: Array(words.dropFirst()),
                                                            environment: Settings.childEnvironment(environment)) else {
            throw fail("it could not be started")
        }
        defer {
            OS.close(output)
            OS.close(errors)
        }
        var printed: [UInt8] = [], complained = 0
        var open = [output, errors]
        // What is there now, without waiting for the end: a helper the command left running
        // (a password manager's agent) may hold the pipes open long after the command exited.
        func drain() {
            for (index, fd) in open.enumerated().reversed() {
                while let bytes = OS.readSome(fd) {
                    if bytes.isEmpty { open.remove(at: index); break }
                    if fd == output { printed += bytes.prefix(max(0, 65536 - printed.count)) } else { complained += bytes.count }
                }
            }
        }
        let deadline = OS.monotonicSeconds() + timeoutSeconds
        var state = OS.state(of: pid)
        // The command's own exit ends the wait, not the end of its output.
        while state == .running {
            let left = deadline - OS.monotonicSeconds()
            guard left > 0 else {
                OS.killGroup(pid)
                _ = waitFor(pid, until: OS.monotonicSeconds() + 2)
                throw fail("it did not finish within \(Settings.plain(timeoutSeconds)) seconds (\(Settings.Variable.secretCommandTimeout)), so it and every process it started were stopped")
            }
            if open.isEmpty {
                OS.sleep(seconds: min(left, 0.01))
            } else {
                _ = OS.waitReadable(open, timeoutMilliseconds: Int32(min(left, 0.05) * 1000) + 1)
                drain()
            }
            state = OS.state(of: pid)
        }
        drain()
        switch state {
        case .exited(status: 0), .running: break
        case .exited(let status): throw fail("it exited with status \(status)" + (complained > 0 ? " (it wrote \(complained) bytes to stderr, not shown)" : ""))
        case .killed(let signal): throw fail("it was killed by signal \(signal)")
        }
        let first = String(decoding: printed, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let secret = first.hasSuffix("\r") ? String(first.dropLast()) : first
        guard !secret.isEmpty else { throw fail("it printed nothing on its first line") }
        if ConfigurationError.controlCharacter(in: secret) != nil { throw fail("its first line has a control character") }
        return secret
    }

    /// The line as it is run: split at spaces and tabs, no quotes interpreted.
    static func words(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// Why a command line cannot be used, or nil: its program (the first word) is checked as
    /// `run` would start it.
    public static func problem(inLine line: String) -> String? {
        words(line).first.flatMap { problem($0) }
    }

    /// Why a command name cannot be used, or nil: an absolute path or a bare name found on PATH
    /// only. A relative path would run whatever that name is in the folder ceauth is started in.
    public static func problem(_ name: String) -> String? {
        guard name.contains("/") && !name.hasPrefix("/") else { return nil }
        return "'\(name)' is a relative path, which runs whatever has that name in the current folder; give an absolute path or a bare name found on PATH"
    }

    private static func waitFor(_ pid: Int32, until deadline: Double) -> OS.ProcessState {
        var state = OS.state(of: pid)
        while state == .running && OS.monotonicSeconds() < deadline {
            OS.sleep(seconds: 0.01)
            state = OS.state(of: pid)
        }
        return state
    }
}
