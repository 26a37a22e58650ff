import ArgumentParser
import CEAuthCore
import CEAuthSandbox
import Dispatch

struct SandboxCommand: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Serve emulated Google and Cloud Elements on loopback until Ctrl-C, and print the environment that points ceauth at them.",
        discussion: """
        For trying ceauth without accounts, and for testing scripts written around it. Everything is in memory \
        and ends with the command. The emulated Google shows a consent page (Allow / Deny, each scope untickable); \
        --consent allow or deny decides at once, for a script with no person. Instances made through it are \
        marked as sandbox instances in the keyfile (their baseUrl is under /sandbox/).
          ceauth sandbox --consent allow > sandbox.env &
          . ./sandbox.env && ceauth login gmail --no-browser
        Exit codes: 0 stopped by Ctrl-C or SIGTERM; 64 a port cannot be used.
        """)

    enum Consent: String, ExpressibleByArgument, CaseIterable {
        case ask, allow, deny
    }

    @Option(help: ArgumentHelp("Pin the emulated Google to this port and Cloud Elements to the next one (default: free ports).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("Loopback address to serve on: 127.0.0.1 or ::1.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("What the emulated Google does with a sign-in: ask (a consent page), allow or deny at once.", valueName: "mode"))
    var consent: Consent = .ask

    @Flag(help: "Print the environment as one JSON object on stdout instead of export lines.")
    var json = false

    func validate() throws {
        if let port, !(1...65534).contains(port) {
            throw ValidationError("--port: give a port from 1 to 65534 (Cloud Elements takes the next one)")
        }
        guard host == "127.0.0.1" || host == "::1" else {
            throw ValidationError("--host: the sandbox serves on loopback only: 127.0.0.1 or ::1")
        }
    }

    var setup: CommandSetup { CommandSetup(profile: nil, secrets: false) }

    func run(_ context: CommandContext) throws {
        let console = context.console
        let behaviour: EmulatedGoogle.Behaviour = switch consent {
        case .ask: .ask
        case .allow: .consent
        case .deny: .deny
        }
        let sandbox: Sandbox
        do {
            sandbox = try Sandbox(host: host, port: UInt16(port ?? 0), consent: behaviour)
        } catch let error as SocketError {
            let ports = port.map { "ports \($0) and \($0 + 1)" } ?? "a free port"
            throw SandboxError.cannotServe(host: host, ports: ports, reason: "\(error)")
        }
        defer { sandbox.stop() }
        // The sandbox's secrets are the point of this command's output: printed as they are.
        if json {
            console.json(.object(sandbox.environment.map { .init($0.0, .string(JSONString($0.1))) }))
        } else {
            for (name, value) in sandbox.environment { console.write("export \(name)='\(value)'\n", to: .output) }
        }
        console.say("""
            Sandbox running: emulated Google at \(sandbox.google.baseURL), emulated Cloud Elements at \(sandbox.cloudElements.baseURL).
            Load the environment above (e.g. ceauth sandbox > sandbox.env & then . ./sandbox.env) and run ceauth login gmail.
            Ctrl-C stops it; its instances end with it.
            """)
        let stop = DispatchSemaphore(value: 0)
        let sources = Interrupts.handle { stop.signal() }
        stop.wait()
        sources.forEach { $0.cancel() }
        console.say("Sandbox stopped.")
    }
}
