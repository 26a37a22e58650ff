import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Login: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to Google in the browser and create a Cloud Elements instance for ELEMENT.",
        discussion: """
        Needs CEAUTH_USER_SECRET, CEAUTH_ORG_SECRET, CEAUTH_CLIENT_ID and CEAUTH_CLIENT_SECRET in the environment or from the profile's secret commands \
        (not with --sandbox, which brings its own).
        Exit codes: 0 created and saved; 64 usage or configuration error; 3 consent denied, timed out or \
        redirect refused; 4 Cloud Elements answered with an HTTP error; 5 Cloud Elements unreachable (no \
        request byte sent, nothing created); 6 keyfile problem (an instance created but not saved is printed); \
        7 request sent but no answer (the instance may exist); 8 an answer that is not HTTP or not an instance \
        (the instance may exist); 130 interrupted. A permission unticked on the consent screen is exit 3. With \
        --exchange local, Google refusing the code (a wrong PKCE verifier, an expired code, no refresh token) is also \
        exit 3, and Google's token endpoint unreachable is 5.
        """
    )

    @Argument(help: "The element: gmail or googlecalendar (see 'ceauth elements').", completion: Completions.elements)
    var element: String

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var cloudElements: CloudElementsOptions
    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var templateOptions: TemplateOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var instanceOptions: InstanceOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    @OptionGroup var loginFlags: LoginFlowOptions

    /// The options, with the profile's login settings where no flag gives them.
    func options(profile: Profile) -> LoginOptions {
        var options = LoginOptions(element: element)
        instanceOptions.apply(to: &options, cloudElements: cloudElements, keyfile: keyfile, templates: templateOptions)
        loginFlags.apply(to: &options)
        return options.applying(profile: profile)
    }

    func validate() throws {
        try sandboxOptions.check(cloudElements)
        if sandboxOptions.sandbox && loginFlags.update != nil {
            throw ValidationError("--update with --sandbox: a sandbox instance lives one run; create a new one with ceauth login \(element) --sandbox")
        }
    }

    var setup: CommandSetup {
        CommandSetup(profile: profileOptions.profile, secrets: true, quiet: output.quiet, sandbox: sandboxOptions.sandbox)
    }

    func run(_ context: CommandContext) throws {
        let cancel = CancelSignal()
        let (console, environment) = (context.console, context.environment)
        let signals = Interrupts.forward(to: cancel, console: console)
        defer { signals.forEach { $0.cancel() } }
        var options = options(profile: context.profile)
        if let sandbox = context.sandbox {
            sandbox.takeIn(keyfile: try keyfile.path(environment: environment))
            options.name = options.name ?? LoginPlan.defaultName(element: element + " sandbox", date: Date())
        }
        let library = try options.library(environment: environment)
        let plan = try options.makePlan(environment: environment, library: library)
        if loginFlags.dryRun {
            let shown = try LoginDryRun.make(plan: plan, transport: CurlTransport())
            return output.json ? console.json(shown.json) : console.print(shown.text)
        }
        let verbose = output.verbose
        var flow = LoginFlow(plan: plan, transport: CurlTransport(), library: library,
                             say: { console.say($0) }, warn: { console.say("ceauth: warning: " + $0) },
                             log: { line in if verbose { console.say("ceauth: " + line) } }, cancel: cancel,
                             environment: context.io.environment)
        // --quiet keeps the URL: without it, a login with no browser could not go on.
        flow.showURL = { console.say($0, essential: true) }
        do {
            let result = try flow.run()
            console.reportCreated(result.instance, warnings: result.warnings, keyfile: result.keyfilePath,
                                  baseURL: plan.baseURL.absoluteString, json: output.json, reauthorized: plan.reauthorize != nil)
        } catch let notSaved as InstanceNotSaved {
            throw console.reportNotSaved(notSaved, baseURL: plan.baseURL.absoluteString, json: output.json)
        }
    }
}
