import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Delete: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete an instance at Cloud Elements (DELETE /instances/{id}), then its keyfile entry.",
        discussion: """
        Asks first on a terminal; without one, it needs --yes and otherwise sends nothing. --local-only forgets the \
        instance without calling Cloud Elements (also a sandbox instance, or a damaged entry). Needs CEAUTH_USER_SECRET \
        and CEAUTH_ORG_SECRET (not with --local-only). A sandbox instance is deleted at Cloud Elements only with --sandbox.
        Exit codes: 0 deleted (also when Cloud Elements no longer had it); 1 you answered no, nothing was done; \
        64 no terminal to ask on and no --yes, or a usage error; 4 Cloud Elements refused; 5 unreachable (nothing \
        deleted, the entry kept); 7, 8 no usable answer (it may be deleted; the entry is kept: run ceauth verify); \
        6 keyfile (or a damaged entry); 9 no such instance; 64 also a sandbox instance without --sandbox.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument

    @Flag(help: "Do not ask; needed where there is no terminal.")
    var yes = false

    @Flag(name: .customLong("local-only"), help: "Only remove the keyfile entry; do not call Cloud Elements.")
    var localOnly = false

    @Flag(name: .customLong("dry-run"), help: "Print the request that would be sent (secrets as $VARIABLE references) and a curl command; send nothing.")
    var dryRun = false

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for Cloud Elements.", valueName: "seconds"))
    var requestTimeout: Int = Defaults.checkTimeout

    @Flag(help: "Print {name, id, host, deletedAtCloudElements, removedFromKeyfile} as JSON on stdout.")
    var json = false

    func validate() throws { try checkRequestTimeout(requestTimeout) }

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: !localOnly, sandbox: target.sandboxOptions.sandbox && !localOnly) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let (found, path) = try target.find(environment: environment, token: false)
        // A damaged entry can still be forgotten; it is never sent anywhere.
        let instance = localOnly ? found : try found.usable(keyfile: path, token: false)
        // A token in the keyring goes with its entry: the keyring is reached before anything is sent.
        let keyring = instance.tokenInSecretService ? try SecretService.reached(environment: environment) : nil
        var client: CloudElementsClient?
        if !localOnly {
            let credentials = try Settings.platformSecrets(environment: environment)
            // With --sandbox the request goes to this run's emulator; the entry keeps its own baseUrl.
            let base = try context.reach(instance).validatedBaseURL()
            client = CloudElementsClient(baseURL: base, credentials: credentials, transport: CurlTransport(),
                                         timeoutSeconds: Double(requestTimeout))
        }
        if dryRun {
            let shown = client.map { DryRun.show($0.deleteRequest(id: instance.id), references: $0.credentials.references) }
            if json {
                console.json(DryRun.document(shown.map { [$0] } ?? [], extra: [CommandJSON.wouldRemove(instance, keyfile: path)]))
            } else if let shown {
                console.print(shown.text)
            } else {
                console.print("would remove \(instance.summary) from \(path); nothing is sent")
            }
            return
        }
        if !yes {
            let what = localOnly ? "from the keyfile (Cloud Elements keeps it)" : "at Cloud Elements and from the keyfile"
            try console.confirm("Delete \(instance.summary) \(what)?", orPass: "--yes", toDo: "delete \(instance.summary) without asking",
                                nothingDone: "nothing was deleted", declined: "Not deleted.")
        }
        // Sent once; only an answer (deleted, or not there) lets the entry go.
        let deleted = try client?.deleteInstance(id: instance.id)
        let removed = try TokenStore.forget(instance, keyfile: KeyfileStore(path: path), keyring: keyring)
        console.say(DeletionReport.text(instance, deletedAtCloudElements: deleted, removedFromKeyfile: removed, keyfile: path))
        if json {
            console.json(CommandJSON.deletion(instance, deletedAtCloudElements: deleted, removedFromKeyfile: removed))
        }
    }
}
