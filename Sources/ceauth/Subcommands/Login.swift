import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
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

    @Option(name: .customLong("redirect-uri"), help: ArgumentHelp("Loopback redirect URI, e.g. http://localhost:8080/oauth/callback (default http://127.0.0.1:<free port>/).", valueName: "uri"))
    var redirectURI: String?

    @Option(name: .customLong("scope"), help: ArgumentHelp("OAuth scope instead of the element's (repeatable, or space-separated).", valueName: "scope"))
    var scopes: [String] = []

    @Option(name: .customLong("login-hint"), help: ArgumentHelp("Google account to preselect.", valueName: "email"))
    var loginHint: String?

    @Option(help: ArgumentHelp("Seconds to wait for the browser's redirect.", valueName: "seconds"))
    var timeout: Int = Defaults.browserTimeout

    @Option(help: ArgumentHelp("Re-authorize this instance of the keyfile (PUT /instances/{id}?reAuthenticate=true) instead of creating one; its entry is updated in place.", valueName: "name-or-id"),
            completion: Completions.instances)
    var update: String?

    @Flag(help: "Also read the address the browser ended on from standard input (for a machine with no browser); the listener keeps waiting, whichever comes first wins.")
    var paste = false

    @Option(help: ArgumentHelp("Who redeems the code: cloud-elements (default; Cloud Elements does, no PKCE) or local (ceauth does, with PKCE, and hands Cloud Elements the refresh token). Also the profile's 'exchange'.", valueName: "mode"))
    var exchange: String?

    @Flag(name: .customLong("no-preflight"), help: "Skip the call to Cloud Elements (GET /elements/ELEMENT) that proves the secrets and the element before the browser opens.")
    var noPreflight = false

    @Flag(name: .customLong("no-browser"), help: "Do not open a browser; only print the URL.")
    var noBrowser = false

    /// The options, with the profile's login settings where no flag gives them.
    func options(profile: Profile) -> LoginOptions {
        var options = LoginOptions(element: element)
        instanceOptions.apply(to: &options, profile: profile, cloudElements: cloudElements, keyfile: keyfile, templates: templateOptions)
        options.redirectURI = redirectURI ?? profile.values["redirect-uri"]
        options.scopes = scopes
        options.loginHint = loginHint
        options.timeoutSeconds = timeout
        options.openBrowser = !noBrowser
        options.update = update
        options.paste = paste
        options.preflight = !noPreflight
        options.exchange = exchange ?? profile.values["exchange"]
        if update != nil {
            // A PUT keeps the instance's own events and tags; only flags change them, never the
            // profile's defaults for new instances.
            options.tags = instanceOptions.tags
            options.eventsURL = instanceOptions.eventsURL
        }
        return options
    }

    @Flag(name: .customLong("dry-run"), help: "Check everything, print the authorization URL and the request that would be sent (secrets as $VARIABLE references), and send nothing.")
    var dryRun = false

    /// --dry-run: the authorization URL and each request in order, secrets as references; as
    /// text, or with --json one document. Re-authorizing, the instance is read (GET, which
    /// changes nothing) so the PUT shown is the one that would be sent.
    private func printDryRun(_ plan: LoginPlan, console: Console) throws {
        let redirect = plan.redirect.port == 0 ? plan.redirect.uri(port: 0).replacing(":0/", with: ":<free port>/")
            : plan.redirect.uri(port: plan.redirect.port)
        let local = plan.exchange == .local
        let authorization = AuthorizationRequest(endpoint: plan.authorizeURL, clientID: plan.clientID, redirectURI: redirect,
                                                 scopes: plan.scopes, state: "<state>", extraParameters: plan.template.authorization.parameters,
                                                 loginHint: plan.loginHint, codeChallenge: local ? "<S256 of this run's verifier>" : nil).url.absoluteString
        let creator = InstanceCreator(plan: plan, transport: CurlTransport())
        let current = try creator.currentInstance()
        var steps: [(comment: String, request: DryRun.Shown)] = []
        if local {
            let google = plan.tokenClient(transport: CurlTransport())
            steps.append(("# then ceauth redeems the code at Google, once:",
                          DryRun.show(google.redeemRequest(code: "<the authorization code>", redirectURI: redirect,
                                                           verifier: "<this run's PKCE verifier>"),
                                      references: [(plan.clientSecret.value, Settings.Variable.clientSecret)])))
            let tokens = GrantedTokens(accessToken: Secret("<access token from Google>"), refreshToken: Secret("<refresh token from Google>"),
                                       scopes: plan.scopes)
            steps.append(("# then, with Google's tokens:", try creator.dryRun(code: "", redirectURI: redirect, tokens: tokens, current: current)))
        } else {
            steps.append(("# then, with the code from the redirect:",
                          try creator.dryRun(code: "<the authorization code>", redirectURI: redirect, current: current)))
        }
        if output.json {
            console.json(DryRun.document(steps.map(\.request), extra: [.init("authorizationUrl", .string(JSONString(authorization)))]))
            return
        }
        console.print("# the browser would open (a new random state each run\(local ? ", and a new PKCE challenge" : "")):")
        console.print(authorization)
        if current != nil { console.print("# (the PUT keeps what Cloud Elements has: read with GET /instances/\(plan.reauthorize!.id))") }
        for step in steps {
            console.print("")
            console.print(step.comment)
            console.print(step.request.text)
        }
    }

    func validate() throws {
        try sandboxOptions.check(cloudElements)
        if sandboxOptions.sandbox && update != nil {
            throw ValidationError("--update with --sandbox: a sandbox instance lives one run; create a new one with ceauth login \(element) --sandbox")
        }
    }

    func run() throws {
        let cancel = CancelSignal()
        try Console.run(profile: profileOptions, secrets: true, quiet: output.quiet, sandbox: sandboxOptions.sandbox) { context in
            let (console, environment) = (context.console, context.environment)
            let signals = Interrupts.forward(to: cancel, console: console)
            defer { signals.forEach { $0.cancel() } }
            var options = options(profile: context.profile)
            if let sandbox = context.sandbox {
                // Ids go on from the keyfile's sandbox instances, so a new one never takes an old id.
                _ = sandbox.adopt((try? KeyfileStore(path: try keyfile.path(environment: environment)).instances()) ?? [])
                if options.name == nil {
                    options.name = LoginPlan.defaultName(element: element + " sandbox", date: Date())
                }
            }
            let library = try options.library(environment: environment)
            let plan = try options.makePlan(environment: environment, library: library)
            if dryRun { return try printDryRun(plan, console: console) }
            let verbose = output.verbose
            var flow = LoginFlow(plan: plan, transport: CurlTransport(), library: library,
                                 say: { console.say($0) }, log: { line in if verbose { console.say("ceauth: " + line) } },
                                 cancel: cancel)
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
}
