import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct List: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the instances in the keyfile (name, id, element, host, created), or with --remote those Cloud Elements has.",
        discussion: """
        --remote calls GET /instances at --base-url/--env/CEAUTH_BASE_URL, every page, and marks those the keyfile holds; \
        it needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET.
        Exit codes: 0 listed (also when there are none); 6 the keyfile cannot be read or is another user's; with --remote also 4, 5, 7, 8 as for login.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var cloudElements: CloudElementsOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    @Flag(help: "List the instances Cloud Elements has, marking those in the keyfile.")
    var remote = false

    func validate() throws {
        try sandboxOptions.check(cloudElements)
        try checkRequestTimeout(requestTimeout)
    }

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for each page (with --remote).", valueName: "seconds"))
    var requestTimeout: Int = Defaults.checkTimeout

    @Flag(help: "Print a JSON array on stdout: {name, id, element, baseUrl, host, created} (no tokens), or with --remote {name, id, element, valid, disabled, eventsEnabled, inKeyfile}.")
    var json = false

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: remote, sandbox: sandboxOptions.sandbox && remote) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let path = try keyfile.path(environment: environment)
        let entries = try KeyfileStore(path: path).entries()
        if remote { return try listRemote(saved: context.reachable(Array(entries)), environment: environment, console: console) }
        // (An option read once: each read of a parsed property costs a type lookup.)
        let sandbox = sandboxOptions.sandbox
        let shown = entries.indices.filter { !sandbox || entries[$0].isSandbox }
        if json {
            // Entries made whole one at a time, one URL parse per distinct baseUrl: a keyfile of
            // thousands is never all in memory twice.
            var hosts: [String: String] = [:]
            console.jsonArray(shown.lazy.map { position in
                let entry = entries[position]
                if hosts[entry.baseURL] == nil { hosts[entry.baseURL] = entry.host }
                return CommandJSON.entry(entry, token: false, host: hosts[entry.baseURL]!)
            })
        } else if shown.isEmpty {
            console.say("No instances in \(path) yet; create one with ceauth login ELEMENT.")
        } else {
            console.print("NAME\tID\tELEMENT\tHOST\tCREATED\tTOKEN IN")
            // Written from the text read, each piece through the output filter like any line.
            entries.listing(shown) { console.print($0) }
        }
    }

    private func listRemote(saved: [KeyfileEntry], environment: [String: String], console: Console) throws {
        let base = try Settings.baseURL(flag: cloudElements.baseURL, environmentName: cloudElements.environmentName, environment: environment)
        let client = CloudElementsClient(baseURL: base, credentials: try Settings.platformSecrets(environment: environment),
                                         transport: CurlTransport(), timeoutSeconds: Double(requestTimeout))
        let remote = try client.listInstances()
        let held = Set(saved.filter { $0.baseURL == base.absoluteString }.map(\.id))
        if json {
            console.json(.array(remote.map { CommandJSON.remote($0, inKeyfile: held.contains($0.id)) }))
            return
        }
        console.print("NAME\tID\tELEMENT\tSTATE\tEVENTS\tIN KEYFILE")
        for instance in remote {
            let state = instance.disabled == true ? "disabled" : instance.valid == false ? "invalid" : "valid"
            let events = instance.eventsEnabled.map { $0 ? "on" : "off" } ?? "-"
            console.print("\(instance.name)\t\(instance.id)\t\(instance.element)\t\(state)\t\(events)\t\(held.contains(instance.id) ? "yes" : "no")")
        }
        console.say("\(remote.count) instances at \(base.host ?? base.absoluteString), \(remote.filter { held.contains($0.id) }.count) of them in the keyfile.")
    }
}
