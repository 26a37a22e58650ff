// Stress test of a waiting `ceauth login`: several clients send junk to its loopback listener,
// then the genuine redirect comes. Reports junk requests handled per second, the genuine
// redirect's delay, and the ceauth process's peak memory. Run by Scripts/stress; not a unit test.
//
//   ceauth-stress [--requests N] [--clients N] [--idle N] [--during] [--binary PATH]
// --during sends the genuine redirect when half the junk is done, while the rest still flows.
import CEAuthCore
import CEAuthSandbox
import Foundation

struct Options {
    var requests = 20_000
    var clients = 8
    /// Connections opened at the start and held silent to the end (slowloris).
    var idle = 48
    var during = false
    var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ceauth").path

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        func number(_ flag: String) -> Int {
            guard let text = rest.popFirst(), let value = Int(text), value > 0 else { fail("\(flag) needs a positive number") }
            return value
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--requests": requests = number(flag)
            case "--clients": clients = number(flag)
            case "--idle": idle = number(flag)
            case "--during": during = true
            case "--binary":
                guard let path = rest.popFirst() else { fail("--binary needs a path") }
                binary = path
            default: fail("unknown option \(flag); use --requests N --clients N --idle N --during --binary PATH")
            }
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ceauth-stress: \(message)\n".utf8))
    exit(1)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Counts outcomes by name, shared by the client threads.
typealias Counter = Locked<[String: Int]>
extension Locked where Value == [String: Int] {
    convenience init() { self.init([:]) }
    func add(_ key: String) { with { $0[key, default: 0] += 1 } }
    var snapshot: [String: Int] { current }
}

extension Locked {
    func set(_ newValue: Value) { with { $0 = newValue } }
}

/// Sends bytes and reads the answer; its status code, or nil. With closeEarly, the client
/// sends and hangs up without reading, as a half-request would.
func exchange(_ bytes: [UInt8], port: UInt16, closeEarly: Bool = false) -> Int? {
    guard closeEarly else {
        let status = (try? RawHTTP.send(bytes, host: "127.0.0.1", port: port, timeout: 10))?.status ?? 0
        return status == 0 ? nil : status
    }
    guard let socket = try? Socket.connect(host: "127.0.0.1", port: port) else { return nil }
    try? socket.sendAll(bytes)
    socket.close()
    return 0
}

/// Peak resident memory so far (VmHWM) of a process, in KiB.
func peakMemoryKiB(pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
    return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
}

let options = Options(CommandLine.arguments)
guard FileManager.default.isExecutableFile(atPath: options.binary) else { fail("no ceauth binary at \(options.binary); build it or pass --binary") }

// The tests' fake Cloud Elements, answering every POST /instances with a created instance.
let cloudElements = try EmulatedCloudElements(google: try EmulatedGoogle(), .answer(.json(200, .object([
    "id": .integer(777_001), "name": .string("stress"), "token": .string("STRESS-INSTANCE-TOKEN"),
    "element": .object(["key": .string("gmail")]),
]))))
let home = FileManager.default.temporaryDirectory.appendingPathComponent("ceauth-stress-\(getpid())").path
try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: home) }
let errPath = home + "/stderr", outPath = home + "/stdout"
_ = FileManager.default.createFile(atPath: errPath, contents: nil)
_ = FileManager.default.createFile(atPath: outPath, contents: nil)

let secrets = ["USERSECRET-stress-1f2e3d", "ORGSECRET-stress-4c5b6a", "CLIENTSECRET-stress-7d8e9f"]
let process = Process()
process.executableURL = URL(fileURLWithPath: options.binary)
process.arguments = ["login", "gmail", "--no-browser", "--json", "--timeout", "600"]
process.environment = [
    "PATH": "/usr/bin:/bin", "HOME": home,
    "CEAUTH_USER_SECRET": secrets[0], "CEAUTH_ORG_SECRET": secrets[1],
    "CEAUTH_CLIENT_ID": "stress.apps.googleusercontent.com", "CEAUTH_CLIENT_SECRET": secrets[2],
    "CEAUTH_BASE_URL": cloudElements.baseURL,
    "CEAUTH_AUTHORIZE_URL": "http://127.0.0.1:9/o/oauth2/v2/auth",
]
process.standardInput = FileHandle.nullDevice
process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
try process.run()
let pid = process.processIdentifier

// The authorization URL on stderr gives the redirect URI and the state, as a browser would get them.
var authorization: URLComponents?
let startDeadline = now() + 20
while authorization == nil && now() < startDeadline && process.isRunning {
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    authorization = err.split(separator: "\n").first { $0.hasPrefix("http") }.flatMap { URLComponents(string: String($0)) }
    if authorization == nil { usleep(10_000) }
}
guard let query = authorization?.queryItems, let redirect = query.first(where: { $0.name == "redirect_uri" })?.value,
      let state = query.first(where: { $0.name == "state" })?.value, let redirectURL = URL(string: redirect),
      let portNumber = redirectURL.port else {
    process.terminate()
    fail("ceauth did not print an authorization URL; stderr: \((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")")
}
let port = UInt16(portNumber)
let host = "127.0.0.1:\(port)"
let memoryAtStart = peakMemoryKiB(pid: pid) ?? 0

// Silent connections held open for the whole run, more than the listener serves at once.
var idle: [Socket] = []
for _ in 0..<options.idle { if let socket = try? Socket.connect(host: "127.0.0.1", port: port) { idle.append(socket) } }

/// The junk mix: every kind the hardening issue names, in turn.
@Sendable func junk(_ index: Int) -> (bytes: [UInt8], closeEarly: Bool) {
    func get(_ target: String, host: String = host, extra: String = "") -> [UInt8] {
        Array("GET \(target) HTTP/1.1\r\nHost: \(host)\r\n\(extra)\r\n".utf8)
    }
    switch index % 8 {
    case 0: return (get("/" + String(index, radix: 36) + "/x?y=\(index)"), false)
    case 1: return (get("/favicon.ico"), false)
    case 2: return ((0..<64).map { _ in UInt8.random(in: 0...255) }, false)
    case 3: return (get("/?pad=" + String(repeating: "a", count: 9_000)), false)
    case 4: return (Array("GET /?code=early&state=\(state)".utf8), true)
    case 5: return (get("/?code=forged&state=forged-\(index)"), false)
    case 6: return (get("/?code=rebound&state=\(state)", host: "attacker.example:\(port)"), false)
    default: return (get("/?code=x&state=\(state)", extra: "Content-Length: 4\r\n") + Array("body".utf8), false)
    }
}

let genuineRequest = Array("GET /?code=4%2F0Agenuine&state=\(state)&iss=https%3A%2F%2Faccounts.google.com HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: stress\r\n\r\n".utf8)
let statuses = Counter()
let next = Counter()
let measured = Locked<(status: Int?, seconds: Double, waitingBefore: Bool)?>(nil)
let memoryMidFlood = Locked(0)
if options.during {
    Thread {
        while (next.snapshot["done"] ?? 0) < options.requests / 2 { usleep(500) }
        let waiting = process.isRunning
        memoryMidFlood.set(peakMemoryKiB(pid: pid) ?? 0)
        let start = now()
        let status = exchange(genuineRequest, port: port)
        measured.set((status, now() - start, waiting))
    }.start()
}
let floodStart = now()
let perClient = (options.requests + options.clients - 1) / options.clients
let group = DispatchGroup()
for client in 0..<options.clients {
    group.enter()
    Thread {
        defer { group.leave() }
        for i in 0..<perClient {
            let index = client * perClient + i
            guard index < options.requests else { break }
            let (bytes, closeEarly) = junk(index)
            let status = exchange(bytes, port: port, closeEarly: closeEarly)
            statuses.add(status == nil ? "no answer" : closeEarly ? "closed early" : String(status!))
            next.add("done")
        }
    }.start()
}
group.wait()
let floodSeconds = now() - floodStart
let memoryAfterFlood = peakMemoryKiB(pid: pid) ?? memoryMidFlood.current
let stillWaitingAfterFlood = process.isRunning

// The genuine redirect, with the idle connections still open (or already sent, with --during).
var genuineStatus: Int?
var genuineSeconds = 0.0
var stillWaiting = stillWaitingAfterFlood
if options.during {
    while measured.current == nil { usleep(1_000) }
    genuineStatus = measured.current?.status
    genuineSeconds = measured.current?.seconds ?? 0
    stillWaiting = measured.current?.waitingBefore ?? false
} else {
    let genuineStart = now()
    genuineStatus = exchange(genuineRequest, port: port)
    genuineSeconds = now() - genuineStart
}
let peakBeforeExit = peakMemoryKiB(pid: pid) ?? memoryAfterFlood
process.waitUntilExit()
for socket in idle { socket.close() }

let stderrText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
let stdoutText = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
let leaked = secrets.filter { stderrText.contains($0) || stdoutText.contains($0) }
let counts = statuses.snapshot.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
print("""
ceauth-stress: \(options.requests) junk requests from \(options.clients) clients, \(idle.count) idle connections held open
  junk handled:        \(String(format: "%.0f", Double(options.requests) / floodSeconds)) requests/s (\(String(format: "%.2f", floodSeconds)) s in all\(options.during ? "; the listener closed halfway, so later ones found no listener" : ""))
  answers:             \(counts)
  still waiting:       \(stillWaiting ? "yes" : "no") (when the genuine redirect was sent)
  genuine redirect:    \(options.during ? "sent mid-flood, " : "")HTTP \(genuineStatus.map(String.init) ?? "none") after \(String(format: "%.1f", genuineSeconds * 1000)) ms (includes the POST to Cloud Elements and the keyfile)
  ceauth exit status:  \(process.terminationStatus); POSTs to Cloud Elements: \(cloudElements.postCount)
  ceauth peak memory:  \(memoryAtStart / 1024) MiB waiting, \(memoryAfterFlood / 1024) MiB after the flood, \(max(peakBeforeExit, memoryAfterFlood) / 1024) MiB at the end (VmHWM)
  secrets in output:   \(leaked.isEmpty ? "none" : "\(leaked.count) FOUND")
""")
let ok = stillWaiting && genuineStatus == 200 && process.terminationStatus == 0 && cloudElements.postCount == 1 && leaked.isEmpty
if !ok {
    FileHandle.standardError.write(Data("ceauth-stress: FAILED; ceauth said:\n\(stderrText)\n".utf8))
    exit(1)
}
