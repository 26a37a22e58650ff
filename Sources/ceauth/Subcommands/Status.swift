import ArgumentParser
import CEAuthCore

struct Status: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Every instance of the keyfile at a glance: works or not, enabled, events, tags.",
        discussion: """
        One line each: name, id, element, host, works (as verify), enabled, events (on/off, interval, callback host), tags. \
        The instances are checked 16 at once, each at its own host, with the same two requests as verify. \
        Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET. Exit codes as verify --all: 0 every one works; 10 any one does not; \
        4, 5, 7, 8 as for verify; 6 keyfile; 64 usage.
        """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var templateOptions: TemplateOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for each answer.", valueName: "seconds"))
    var requestTimeout: Int = Defaults.checkTimeout

    @Flag(help: "Print a JSON array on stdout: {name, id, element, host, works, state, enabled, events, tags, advice}.")
    var json = false

    func validate() throws { try checkRequestTimeout(requestTimeout) }

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let credentials = try Settings.platformSecrets(environment: environment)
        let library = try templateOptions.library(environment: environment)
        let path = try keyfile.path(environment: environment)
        let targets = context.reachable(try TokenStore.resolveAll(try KeyfileStore(path: path).instances(), environment: environment))
        let timeout = Double(requestTimeout)
        let safe = console.safe
        let rows = Concurrently.map(targets, width: Defaults.concurrentRequests, worker: { CurlTransport() }) { transport, target in
            do {
                _ = try target.usable(keyfile: path)
                Redactor.learn([target.token.value])
                return try InstanceStatus.check(target, hub: try? library.element(target.element).hub, credentials: credentials,
                                                transport: transport, timeoutSeconds: timeout)
            } catch {
                return InstanceStatus(instance: target, error: safe.value("\(error)"))
            }
        }
        if json {
            console.json(.array(rows.map(CommandJSON.status)))
        } else if rows.isEmpty {
            console.say("No instances in \(path) yet; create one with ceauth login ELEMENT.")
        } else {
            console.print("NAME\tID\tELEMENT\tHOST\tWORKS\tENABLED\tEVENTS\tTAGS")
            for row in rows { console.print(Self.line(row)) }
            for row in rows where !row.works { console.say("not working: " + (row.verification?.advice ?? "\(row.instance.summary): \(row.error ?? "")")) }
        }
        if rows.contains(where: { !$0.works }) { throw ExitCode(ExitStatus.broken) }
    }

    static func line(_ row: InstanceStatus) -> String {
        let instance = row.instance
        let works = row.error != nil ? "unchecked" : row.works ? "yes" : "no"
        let enabled = row.verification.map { $0.state == .disabled ? "no" : $0.state == .gone ? "gone" : "yes" } ?? "-"
        let tags = row.tags.map { $0.isEmpty ? "-" : $0.joined(separator: ",") } ?? "-"
        return "\(instance.name)\t\(instance.id)\t\(instance.element)\t\(instance.host)\t\(works)\t\(enabled)\t\(row.events?.summary ?? "-")\t\(tags)"
    }
}
