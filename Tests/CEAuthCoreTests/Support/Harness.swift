import Foundation
@testable import CEAuthCore
import CEAuthSandbox

/// Plays the person at the browser with real HTTP: loads the authorization URL at the fake
/// Google, then follows its redirect to ceauth's loopback listener and keeps the page it gets.
final class TestBrowser: @unchecked Sendable {
    /// Runs against the listener before the genuine redirect (e.g. a forged state).
    var beforeRedirect: @Sendable (_ redirect: URL) -> Void = { _ in }
    /// Parameters the "browser" adds to the authorization URL (to show what Google does with them).
    var extraAuthorizationQuery = ""
    /// When true, opening "fails" and the person opens the printed URL by hand.
    var failsToOpen = false
    /// Seconds `open` takes to return, like a browser command that stays in the foreground.
    var openBlocksFor: Double = 0
    /// When false, the browser never comes back (for timeouts).
    var followsRedirect = true
    /// Changes the redirect on its way back, as a mix-up attacker would.
    var tamper: @Sendable (String) -> String = { $0 }
    /// On a consent page (the sandbox's Google): which button the person clicks, and which
    /// scopes they untick first.
    var consentDecision = "allow"
    var untick: Set<String> = []
    /// The consent page, when there was one.
    let consentPage = Locked<RawResponse?>(nil)
    let page = Locked<RawResponse?>(nil)
    let googleAnswer = Locked<RawResponse?>(nil)
    let opened = Locked<[URL]>([])
    /// When the genuine redirect was sent, and when its page came back (monotonic seconds).
    let redirectSentAt = Locked<Double?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    func open(_ url: URL) -> BrowserLauncher.Outcome {
        opened.with { $0.append(url) }
        let box = SendableURL(url)
        Thread { [self] in
            defer { finished.signal() }
            visit(box.url)
        }.start()
        if openBlocksFor > 0 { usleep(UInt32(openBlocksFor * 1_000_000)) }
        return failsToOpen ? .failed(tried: ["xdg-open"]) : .opened(command: "test-browser")
    }

    /// Visits the authorization URL and follows the redirect, on the calling thread.
    func visit(_ url: URL) {
        guard var answer = try? RawHTTP.request(url.absoluteString + extraAuthorizationQuery) else { return }
        if answer.status == 200, let form = Self.consentForm(answer.body, untick: untick, decision: consentDecision),
           let origin = url.absoluteString.firstRange(of: "/o/oauth2").map({ String(url.absoluteString[..<$0.lowerBound]) }) {
            consentPage.with { $0 = answer }
            guard let posted = try? RawHTTP.request(origin + "/o/oauth2/v2/consent", method: "POST",
                                                    headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                    body: Data(form.utf8)) else { return }
            answer = posted
        }
        googleAnswer.with { $0 = answer }
        guard followsRedirect, answer.status == 302, let location = answer.headers["location"],
              let redirect = URL(string: location) else { return }
        beforeRedirect(redirect)
        redirectSentAt.with { $0 = monotonicSeconds() }
        let result = try? RawHTTP.request(tamper(location))
        page.with { $0 = result }
    }

    /// What the consent page's form sends: its id, the scopes left ticked, the button clicked.
    static func consentForm(_ page: String, untick: Set<String>, decision: String) -> String? {
        func values(_ pattern: String) -> [String] {
            page.split(separator: "\n").compactMap { line -> String? in
                guard let start = line.firstRange(of: pattern) else { return nil }
                let rest = line[start.upperBound...]
                return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
            }
        }
        guard let id = values("name=\"consent\" value=\"").first else { return nil }
        let scopes = values("name=\"scope:").map { $0.replacingOccurrences(of: "&amp;", with: "&") }.filter { !untick.contains($0) }
        return FormEncoding.query([("consent", id)] + scopes.map { ("scope:" + $0, "on") } + [("decision", decision)])
    }

    @discardableResult
    func waitUntilDone(seconds: Double = 30) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }
}

struct SendableURL: @unchecked Sendable {
    let url: URL
    init(_ url: URL) { self.url = url }
}

/// A temporary folder that is removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ceauth-test-" + UUID().uuidString).path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        _ = chmod(path, 0o700)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Fake Google and Cloud Elements plus a keyfile location: one end-to-end run of the flow.
final class LoginHarness {
    let google: EmulatedGoogle
    let cloudElements: EmulatedCloudElements
    let directory = TemporaryDirectory()
    let output = Locked<[String]>([])
    var keyfile: String { directory.path + "/config/ceauth/keys.json" }

    init(google: EmulatedGoogle.Behaviour = .consent, cloudElements: EmulatedCloudElements.Behaviour = .normal) throws {
        self.google = try EmulatedGoogle(google)
        self.cloudElements = try EmulatedCloudElements(google: self.google, cloudElements)
    }

    deinit {
        cloudElements.stop()
        google.stop()
    }

    var environment: [String: String] {
        var env = SandboxSecrets.environment
        env["CEAUTH_BASE_URL"] = cloudElements.baseURL
        env["CEAUTH_AUTHORIZE_URL"] = google.authorizeURL
        env["CEAUTH_TOKEN_URL"] = google.tokenURL
        env["CEAUTH_REVOKE_URL"] = google.revokeURL
        env["HOME"] = directory.path
        env["XDG_CONFIG_HOME"] = directory.path + "/config"
        return env
    }

    /// Runs the real flow (real listener, real URLSession transport, real keyfile).
    func run(_ element: String, browser: TestBrowser = TestBrowser(), timeout: Int = 20,
             environment overrides: [String: String] = [:],
             configure: (inout LoginOptions) -> Void = { _ in },
             bind: (@Sendable (String, UInt16) throws(SocketError) -> Socket)? = nil) -> Result<LoginResult, Error> {
        var options = LoginOptions(element: element)
        options.timeoutSeconds = timeout
        options.requestTimeoutSeconds = 10
        configure(&options)
        let result: Result<LoginResult, Error> = Result {
            let plan = try options.makePlan(environment: environment.merging(overrides) { _, new in new }, library: .builtIn)
            var flow = LoginFlow(
                plan: plan, transport: CurlTransport(),
                openBrowser: { browser.open($0) },
                say: { [output] line in output.with { $0.append(line) } },
                log: { [output] line in output.with { $0.append("log: " + line) } }
            )
            if let bind { flow.bindListener = bind }
            return try flow.run()
        }
        // Only a browser that was opened has a visit to finish: a flow stopped before it has none.
        if !browser.opened.current.isEmpty { browser.waitUntilDone(seconds: 5) }
        return result
    }

    var allOutput: String { output.current.joined(separator: "\n") }

    func keyfileEntries() -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: keyfile) else { return [] }
        return KeyfileDocument.entries(data)
    }
}

/// Writes a script to run, through a descriptor closed on exec: a process another test starts
/// at that moment would otherwise keep it open for writing, and running the script would then
/// fail with ETXTBSY.
func writeExecutable(_ text: String, to path: String, mode: UInt32 = 0o755) throws {
    try writeFile(Array(text.utf8), to: path, mode: mode)
}

func writeFile(_ bytes: [UInt8], to path: String, mode: UInt32) throws {
    OS.remove(path)
    let fd = OS.open(path, .readWrite(create: mode))
    guard fd >= 0 else { throw SocketError("open \(path)", code: OS.lastError) }
    defer { OS.close(fd) }
    guard OS.setMode(fd, mode), OS.writeAll(fd, bytes) else { throw SocketError("write \(path)", code: OS.lastError) }
}

/// The files of a folder (not its folders) copied with their modes, each written as
/// `writeExecutable` writes (a copied binary run at once must not fail with ETXTBSY).
func copyFiles(from source: String, to target: String) throws {
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    for name in try FileManager.default.contentsOfDirectory(atPath: source) {
        guard let data = FileManager.default.contents(atPath: source + "/" + name) else { throw SocketError("read \(source)/\(name)", code: OS.lastError) }
        try writeFile([UInt8](data), to: target + "/" + name, mode: UInt32(fileMode(source + "/" + name)))
    }
}

func fileMode(_ path: String) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { return -1 }
    return Int(info.st_mode & 0o777)
}
