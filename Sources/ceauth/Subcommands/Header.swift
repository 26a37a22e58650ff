import ArgumentParser
import CEAuthCore
import CEAuthSandbox
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Header: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "header",
        abstract: "Print the Authorization header for calls through an instance: User <u>, Organization <o>, Element <token>.",
        discussion: """
        For curl -H "Authorization: $(ceauth header NAME)". Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET.
        A sandbox instance's header is printed only with --sandbox (or the sandbox's own secrets in the environment).
        Exit codes: 0 printed; 64 a secret is missing, or a sandbox instance without --sandbox; 6 the keyfile cannot be read, is another user's, or the entry is damaged; 9 no such instance, or the name matches several.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument
    @Flag(help: "Print {name, id, header} as JSON on stdout.")
    var json = false

    // A sandbox instance's header carries the sandbox's published secrets: no emulator needed.
    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: !target.sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws {
        let sandbox = target.sandboxOptions.sandbox
        let (console, environment) = (context.console, context.environment)
        let credentials = try Settings.platformSecrets(environment: sandbox ? SandboxSecrets.environment : environment)
        let (instance, path) = try target.findUsable(environment: environment, sending: false)
        // A sandbox token with the real secrets would only be sent to the sandbox's old port.
        if !sandbox && instance.isSandbox && !SandboxSecrets.inUse(environment) {
            throw InstanceUseError.sandboxInstance(instance.summary)
        }
        let header = credentials.authorizationHeader(element: instance.token)
        guard json else { return try console.printRequested(header, what: "header", keyfile: path) }
        // The header is what was asked for: written as it is, not through the redactor.
        try console.printRequested(header, what: "header", keyfile: path, checkOnly: true)
        console.json(CommandJSON.named(instance, "header", header))
    }
}
