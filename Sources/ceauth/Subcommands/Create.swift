import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Create: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an instance from an authorization code your own web app received, read from standard input.",
        discussion: """
        The code, or the whole address the browser was sent back to, comes on standard input, never on the command \
        line (other users can read that). --redirect-uri must be the one the authorization request used. Same body, \
        checks, keyfile and exit codes as login (3 when the address carries an error or another issuer).
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @Argument(help: "The element: gmail or googlecalendar.", completion: Completions.elements)
    var element: String

    @Option(name: .customLong("redirect-uri"), help: ArgumentHelp("The redirect URI the authorization request used.", valueName: "uri"))
    var redirectURI: String

    @OptionGroup var cloudElements: CloudElementsOptions
    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var templateOptions: TemplateOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var instanceOptions: InstanceOptions

    @Flag(name: .customLong("dry-run"), help: "Print the request that would be sent (secrets as $VARIABLE references), read nothing, send nothing.")
    var dryRun = false

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        var options = LoginOptions(element: element)
        instanceOptions.apply(to: &options, cloudElements: cloudElements, keyfile: keyfile, templates: templateOptions)
        options = options.applying(profile: context.profile)
        // create takes its redirect URI as a flag and always lets Cloud Elements redeem the code.
        (options.redirectURI, options.exchange) = (nil, nil)
        let library = try options.library(environment: environment)
        let plan = try options.makePlan(environment: environment, library: library)
        let redirect = try OwnRedirectURI.validate(redirectURI)
        let creator = InstanceCreator(plan: plan, transport: CurlTransport(),
                                      log: { line in if output.verbose { console.say("ceauth: " + line) } })
        _ = try creator.body(code: "", redirectURI: redirect)
        if dryRun {
            let shown = try creator.dryRun(code: "<the authorization code from standard input>", redirectURI: redirect)
            if output.json { console.json(DryRun.document([shown])) } else { console.print(shown.text) }
            return
        }
        // Everything that can fail before the single-use code is spent, first.
        for warning in try KeyfileStore(path: plan.keyfilePath).preflight() { console.say("ceauth: warning: \(warning)") }
        if context.io.inputIsTerminal { console.say("Paste the authorization code, or the address the browser was sent back to:") }
        let input: String
        switch StandardInput.readLine() {
        case .line(let line): input = line
        case .end: input = ""
        case .tooLong(let limit): throw ConfigurationError.invalidValue(option: "standard input", reason: StandardInput.tooLongReason(limit))
        }
        let code = try CodeInput.code(from: input, issuer: plan.template.authorization.issuer,
                                      required: plan.scopes, element: plan.template.key)
        // From here a Ctrl-C, SIGTERM or hang-up finishes the request instead of losing what it creates.
        let cancel = CancelSignal()
        cancel.sending(timeoutSeconds: Int(plan.requestTimeoutSeconds))
        let signals = Interrupts.forward(to: cancel, console: console)
        defer { signals.forEach { $0.cancel() } }
        let instance = try creator.create(code: code, redirectURI: redirect)
        cancel.sending(timeoutSeconds: nil)
        let report: KeyfileStore.SaveReport
        do {
            report = try creator.save(instance)
        } catch let notSaved as InstanceNotSaved {
            throw console.reportNotSaved(notSaved, baseURL: plan.baseURL.absoluteString, json: output.json)
        }
        console.reportCreated(instance, warnings: report.warnings, keyfile: plan.keyfilePath,
                              baseURL: plan.baseURL.absoluteString, json: output.json)
    }
}
