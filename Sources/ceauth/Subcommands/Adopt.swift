import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Adopt: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Bring an instance made in the console or by another tool into the keyfile.",
        discussion: """
        Reads the instance at Cloud Elements (GET /instances/{id}: its name, element and token) and saves it. \
        --all adopts every instance of 'list --remote' the keyfile lacks (--element KEY: only that element's). \
        An instance already in the keyfile is left as it is; a name the keyfile already has gets the id after it. \
        Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET. --dry-run saves nothing.
        Exit codes: 0 done; 11 Cloud Elements has no such instance; 4, 5, 7, 8 as for verify; 6 keyfile; 64 usage \
        (also a --name the keyfile already has).
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @Argument(help: ArgumentHelp("The instance's id at Cloud Elements.", valueName: "id"))
    var id: Int64?

    @Flag(help: "Adopt every instance the keyfile lacks.")
    var all = false

    @Option(help: ArgumentHelp("The name to save it under (default: its name at Cloud Elements).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("With --all: only instances of this element.", valueName: "key"))
    var element: String?

    @OptionGroup var cloudElements: CloudElementsOptions
    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var sandboxOptions: SandboxOptions
    @OptionGroup var options: LiveOptions
    @OptionGroup var tokenStore: TokenStoreOption

    func validate() throws {
        guard all != (id != nil) else { throw ValidationError("give one instance id, or --all") }
        if all && name != nil { throw ValidationError("--name names one instance; drop it with --all") }
        if !all && element != nil { throw ValidationError("--element chooses among --all; drop it with an id") }
        if let name, name.trimmingWhitespace().isEmpty { throw ValidationError("the name is empty") }
        try sandboxOptions.check(cloudElements)
    }

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let path = try keyfile.path(environment: environment)
        let base = try Settings.baseURL(flag: cloudElements.baseURL, environmentName: cloudElements.environmentName, environment: environment)
        let credentials = try Settings.platformSecrets(environment: environment)
        let store = try TokenStore.parse(tokenStore.tokenStore ?? context.profile.values["token-store"] ?? TokenStore.keyfile.rawValue, option: "--token-store")
        // The keyring before any request: nothing is adopted into a store that cannot take it.
        let keyring = store == .secretService ? try SecretService.reached(environment: environment) : nil
        let timeout = Double(options.requestTimeout)
        let client = CloudElementsClient(baseURL: base, credentials: credentials, transport: CurlTransport(), timeoutSeconds: timeout)
        // With --sandbox, the sandbox's entries as this run's emulator has them.
        let stored = try KeyfileStore(path: path).instances()
        let saved = sandboxOptions.sandbox ? context.reachable(stored) : stored
        let plan = Adoption(baseURL: base.absoluteString, saved: saved, created: LoginPlan.timestamp(Date()))
        let wanted = try id.map { [$0] } ?? plan.missing(try client.listInstances(), element: element)
        // The GETs 16 at once, each worker on its own connection; saved in order.
        let answers = Concurrently.map(wanted, width: Defaults.concurrentRequests, worker: {
            CloudElementsClient(baseURL: base, credentials: credentials, transport: CurlTransport(), timeoutSeconds: timeout)
        }) { worker, id in Result { () throws(CloudElementsError) in try worker.instance(id: id) } }
        var results: [LosslessJSON] = []
        var taken = plan.names
        for (id, answer) in zip(wanted, answers) {
            let outcome = try plan.entry(id: id, answer: try answer.get(), name: name, taken: taken)
            if outcome.adopted && !options.dryRun { try TokenStore.save(outcome.entry, in: store, keyfile: KeyfileStore(path: path), keyring: keyring) }
            taken.insert(outcome.entry.name)
            let verb = options.dryRun ? "Would adopt" : "Adopted"
            console.say(outcome.adopted ? "\(verb) \(outcome.entry.summary) into \(path)." : "\(outcome.entry.summary) is already in \(path); left as it is.")
            results.append(CommandJSON.adoption(outcome.entry, adopted: outcome.adopted, reason: outcome.adopted ? nil : "already in the keyfile"))
        }
        if all && wanted.isEmpty { console.say("Every instance at \(base.host ?? base.absoluteString) is in \(path) already.") }
        if options.json { console.json(all ? .array(results) : results[0]) }
    }
}
