import Foundation
@testable import CEAuthCore

/// A real Secret Service for one test: a D-Bus session bus of its own (dbus-daemon, started as
/// dbus-run-session starts one, with no service files so nothing is activated behind the test's
/// back) and, on it, GNOME Keyring with an unlocked login collection in a HOME of its own.
/// `.noService` is the bus alone; `.silent` a process that owns the Secret Service's name and
/// never answers; `.locked` GNOME Keyring restarted without the password.
final class TestKeyring: @unchecked Sendable {
    enum Kind { case unlocked, noService, silent, locked }

    let directory = TemporaryDirectory()
    let address: String
    private let bus: Process
    private var helpers: [Process] = []

    /// What a ceauth run needs to reach it (its own HOME stays the test's).
    var environment: [String: String] { ["DBUS_SESSION_BUS_ADDRESS": address] }

    init(_ kind: Kind = .unlocked) throws {
        let config = directory.path + "/bus.conf"
        try """
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig><type>session</type><listen>unix:dir=\(directory.path)</listen>
        <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
        """.write(toFile: config, atomically: true, encoding: .utf8)
        bus = Process()
        bus.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        bus.arguments = ["--config-file=" + config, "--nofork", "--print-address=1"]
        let out = Pipe()
        bus.standardOutput = out
        bus.standardError = FileHandle.nullDevice
        try bus.run()
        // The first line dbus-daemon prints is its address (bounded: it prints it at once).
        var line = Data()
        let deadline = Date().addingTimeInterval(10)
        while !line.contains(0x0A) && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        address = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("unix:") else { bus.terminate(); throw TestKeyringError("dbus-daemon gave no address") }
        switch kind {
        case .noService: break
        case .unlocked: try startKeyring(password: "test")
        case .locked:
            try startKeyring(password: "test")
            // Something in the login collection, then the daemon again without the password.
            _ = try tool(["store", "--label=probe", "application", "probe"], input: "probe")
            // The first daemon gone (and its name with it) before the second takes the name.
            for helper in helpers { kill(helper.processIdentifier, SIGKILL); helper.waitUntilExit() }
            helpers = []
            try waitForName(owned: false)
            try startKeyring(password: nil)
        case .silent: try startSilentOwner()
        }
    }

    deinit { vanish() }

    /// The service goes away, and its bus with it (SIGKILL: dbus-daemon may outlive a SIGTERM).
    func vanish() {
        for process in helpers + [bus] where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private var daemonEnvironment: [String: String] {
        ["DBUS_SESSION_BUS_ADDRESS": address, "HOME": directory.path, "XDG_DATA_HOME": directory.path + "/data",
         "XDG_RUNTIME_DIR": directory.path, "PATH": "/usr/bin:/bin"]
    }

    private func startKeyring(password: String?) throws {
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/gnome-keyring-daemon")
        daemon.arguments = (password != nil ? ["--unlock"] : []) + ["--replace", "--components=secrets", "--foreground"]
        daemon.environment = daemonEnvironment
        let input = Pipe()
        daemon.standardInput = input
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        if let password { input.fileHandleForWriting.write(Data(password.utf8)) }
        try? input.fileHandleForWriting.close()
        helpers.append(daemon)
        try waitForName()
    }

    private func startSilentOwner() throws {
        let source = directory.path + "/silent.c", binary = directory.path + "/silent"
        try """
        #include <stdio.h>
        #include <unistd.h>
        void *dbus_bus_get(int type, void *error);
        int dbus_bus_request_name(void *connection, const char *name, unsigned int flags, void *error);
        int main(void) {
            void *connection = dbus_bus_get(0, NULL);
            if (!connection || dbus_bus_request_name(connection, "org.freedesktop.secrets", 4, NULL) != 1) return 1;
            for (;;) pause();
        }
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        compile.arguments = ["-o", binary, source, "-l:libdbus-1.so.3"]
        try compile.run()
        compile.waitUntilExit()
        guard compile.terminationStatus == 0 else { throw TestKeyringError("the silent owner did not compile") }
        let owner = Process()
        owner.executableURL = URL(fileURLWithPath: binary)
        owner.environment = daemonEnvironment
        try owner.run()
        helpers.append(owner)
        try waitForName()
    }

    /// Until org.freedesktop.secrets has an owner on the bus (or, `owned: false`, none), bounded.
    private func waitForName(owned: Bool = true) throws {
        for _ in 0..<200 {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-send")
            check.arguments = ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"]
            check.environment = daemonEnvironment
            let out = Pipe()
            check.standardOutput = out
            check.standardError = FileHandle.nullDevice
            try check.run()
            check.waitUntilExit()
            if String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("boolean true") == owned { return }
            usleep(25_000)
        }
        throw TestKeyringError("nothing took org.freedesktop.secrets within 5 s")
    }

    /// secret-tool, from outside ceauth.
    @discardableResult
    func tool(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/secret-tool")
        process.arguments = arguments
        process.environment = daemonEnvironment
        let out = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)); try? inPipe.fileHandleForWriting.close() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The instance token GNOME Keyring holds for `id`, or nil.
    func token(id: Int64) throws -> String? {
        let found = try tool(["lookup", "application", "ceauth", "kind", "instance-token", "id", String(id)])
        return found.status == 0 ? found.output : nil
    }

    func setting(_ key: String, profile: String = "default") throws -> String? {
        let found = try tool(["lookup", "application", "ceauth", "kind", key, "profile", profile])
        return found.status == 0 ? found.output : nil
    }
}

struct TestKeyringError: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}
