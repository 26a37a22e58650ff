import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Verify: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that an instance still works: it exists at its Cloud Elements host, is valid and enabled, and answers a ping through its token.",
        discussion: """
        Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET. Each instance is checked at its own host (its baseUrl). \
        A sandbox instance is checked only with --sandbox (--all skips it with one line).
        Exit codes: 0 it works (with --all: every one works); 10 it exists but does not work (invalid, disabled, \
        or its token refused: re-authorize it), or with --all any one does not; 11 Cloud Elements no longer has it; \
        4 Cloud Elements answered another HTTP error; 5, 7, 8 as for login; 6 keyfile (or a damaged entry); 9 no such \
        instance; 64 usage, or a sandbox instance named without --sandbox.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @Argument(help: ArgumentHelp("The instance: its name or id (see 'ceauth list').", valueName: "name-or-id"),
              completion: Completions.instances)
    var instance: String?

    @Flag(help: "Check every instance in the keyfile.")
    var all = false

    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var templateOptions: TemplateOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for each answer.", valueName: "seconds"))
    var requestTimeout: Int = Defaults.checkTimeout

    @Flag(help: "Print {name, id, element, host, works, state, ping, advice} as JSON on stdout (an array with --all).")
    var json = false

    func validate() throws {
        guard all != (instance != nil) else { throw ValidationError("give one instance (a name or an id), or --all") }
        try checkRequestTimeout(requestTimeout)
    }

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let credentials = try Settings.platformSecrets(environment: environment)
        let library = try templateOptions.library(environment: environment)
        let path = try keyfile.path(environment: environment)
        let saved = try TokenStore.resolveAll(try KeyfileStore(path: path).instances(), environment: environment)
        // With --sandbox only sandbox instances, checked at this run's emulator; never a real one.
        let targets = all ? context.reachable(saved)
            : [try context.reach(try InstanceArgument.find(instance!, in: saved, keyfile: path, sandbox: sandboxOptions.sandbox))]
        let timeout = Double(requestTimeout)
        // Each instance's two requests on a worker's own connection, 16 instances at once; the
        // results in keyfile order. The hub is the template's, or for an element ceauth has no
        // template of, Cloud Elements' own.
        let checked = Concurrently.map(targets, width: all ? Defaults.concurrentRequests : 1, worker: { CurlTransport() }) { transport, target in
            Result { () throws -> Verification in
                _ = try target.usable(keyfile: path)
                Redactor.learn([target.token.value])
                return try InstanceVerifier.verify(target, hub: try? library.element(target.element).hub, credentials: credentials,
                                                   transport: transport, timeoutSeconds: timeout)
            }
        }
        var results: [LosslessJSON] = []
        var worst: Int32 = ExitStatus.success
        for (target, outcome) in zip(targets, checked) {
            switch outcome {
            case .success(let result):
                if !json { console.say((result.verdict == .works ? "ok: " : "not working: ") + result.advice) }
                results.append(CommandJSON.verification(result))
                worst = max(worst, ExitStatus.of(result))
            case .failure(let error) where all:
                // One host down or one broken entry does not stop the others.
                console.say("not checked: \(target.summary): \(error)")
                results.append(CommandJSON.unchecked(target, error: console.safe.value("\(error)")))
                worst = max(worst, ExitStatus.broken)
            case .failure(let error):
                throw error
            }
        }
        if json { console.json(all ? .array(results) : results[0]) }
        // With --all, anything short of "all work" is 10; one instance keeps its own code.
        if worst != ExitStatus.success { throw ExitCode(all ? ExitStatus.broken : worst) }
    }
}
