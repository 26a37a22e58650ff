#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Opens the authorization URL in the user's browser. Failing to open one is not an error:
/// the URL is always printed, and the flow goes on.
public enum BrowserLauncher {
    public enum Outcome: Sendable, Equatable {
        /// The command line that was started, with the URL left out.
        case opened(command: String)
        case failed(tried: [String])
    }

    /// The commands to try, in order, each as an argument vector. Pure.
    /// `$BROWSER` is a colon-separated list; `%s` in an entry stands for the URL.
    public static func candidates(url: String, environment: [String: String], isMacOS: Bool, isWSL: Bool) -> [[String]] {
        var result: [[String]] = []
        if let browser = environment["BROWSER"], !browser.isEmpty {
            for entry in browser.split(separator: ":") {
                var words = entry.split(separator: " ").map(String.init)
                guard !words.isEmpty else { continue }
                if words.contains(where: { $0.contains("%s") }) {
                    words = words.map { $0.replacing("%s", with: url) }
                } else {
                    words.append(url)
                }
                result.append(words)
            }
        }
        if isMacOS { result.append(["open", url]) }
        if isWSL {
            result.append(["wslview", url])
            // The Windows URL handler, reachable from WSL through interop.
            result.append(["rundll32.exe", "url.dll,FileProtocolHandler", url])
        }
        result.append(["xdg-open", url])
        result.append(["gio", "open", url])
        return result
    }

    /// The commands `$BROWSER` names that are not executable files or on PATH, so the person
    /// learns why their browser did not open.
    public static func missingCommands(environment: [String: String]) -> [String] {
        guard let browser = environment["BROWSER"], !browser.isEmpty else { return [] }
        return browser.split(separator: ":").compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { ExecutableLookup.resolve($0, environment: environment) == nil }
    }

    /// True inside Windows Subsystem for Linux.
    public static func detectWSL(environment: [String: String]) -> Bool {
        if environment["WSL_DISTRO_NAME"] != nil || environment["WSL_INTEROP"] != nil { return true }
        return OS.kernelDescription()?.lowercased().contains("microsoft") ?? false
    }

    /// Tries each candidate until one starts and does not fail within a few seconds.
    /// `started` is told each command line as soon as it is started (the URL left out).
    public static func open(url: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                            waitSeconds: Double = 5, started: (String) -> Void = { _ in }) -> Outcome {
        var tried: [String] = []
        for command in candidates(url: url.absoluteString, environment: environment, isMacOS: OS.isMacOS,
                                  isWSL: detectWSL(environment: environment)) {
            let name = command[0]
            guard let executable = ExecutableLookup.resolve(name, environment: environment) else { continue }
            tried.append(name)
            // posix_spawn, no shell: the URL is one argument and nothing in it is interpreted. A
            // browser often outlives ceauth: it gets no secret of ceauth's.
            guard let pid = OS.spawn(executable, arguments: Array(command.dropFirst()),
                                     environment: Settings.childEnvironment(environment)) else { continue }
            started(shown(command, url: url.absoluteString))
            let deadline = OS.monotonicSeconds() + waitSeconds
            var state = OS.state(of: pid)
            while state == .running && OS.monotonicSeconds() < deadline {
                OS.sleep(seconds: 0.05)
                state = OS.state(of: pid)
            }
            // Still running: a browser that stays in the foreground; it opened. (Reaped later by
            // no one: ceauth exits soon after, and the browser is adopted by init.)
            if state == .running || state == .exited(status: 0) {
                return .opened(command: shown(command, url: url.absoluteString))
            }
        }
        return .failed(tried: tried)
    }

    /// The command line as it may be shown: the URL (whose state other users could use) left out.
    static func shown(_ command: [String], url: String) -> String {
        command.map { $0.replacing(url, with: "<the URL above>") }.joined(separator: " ")
    }

}
