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
        Needs CEAUTH_USER_SECRET, CEAUTH_ORG_SECRET, CEAUTH_CLIENT_ID and CEAUTH_CLIENT_SECRET in the environment.
        Exit codes: 0 created and saved; 64 usage or configuration error; 3 consent denied, timed out or \
        redirect refused; 4 Cloud Elements answered with an HTTP error; 5 Cloud Elements unreachable (no \
        request byte sent, nothing created); 6 keyfile problem (an instance created but not saved is printed); \
        7 request sent but no answer (the instance may exist); 8 an answer that is not HTTP or not an instance \
        (the instance may exist); 130 interrupted.
        """
    )

    @Argument(help: "The element: gmail or googlecalendar (see 'ceauth elements').")
    var element: String

    @OptionGroup var cloudElements: CloudElementsOptions
    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var templateOptions: TemplateOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("redirect-uri"), help: ArgumentHelp("Loopback redirect URI, e.g. http://localhost:8080/oauth/callback (default http://127.0.0.1:<free port>/).", valueName: "uri"))
    var redirectURI: String?

    @Option(name: .customLong("scope"), help: ArgumentHelp("OAuth scope instead of the element's (repeatable, or space-separated).", valueName: "scope"))
    var scopes: [String] = []

    @Option(name: .customLong("login-hint"), help: ArgumentHelp("Google account to preselect.", valueName: "email"))
    var loginHint: String?

    @Option(help: ArgumentHelp("Instance name (default: '<element> via ceauth <date>').", valueName: "name"))
    var name: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("Instance tag (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(name: .customLong("events-url"), help: ArgumentHelp("Enable polling events and send them to this URL.", valueName: "url"))
    var eventsURL: String?

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Polling interval in minutes (default 15; needs --events-url).", valueName: "minutes"))
    var pollInterval: Int?

    @Option(name: .customLong("calendar-id"), help: ArgumentHelp("googlecalendar: poll this calendar instead of primary (needs --events-url).", valueName: "id"))
    var calendarID: String?

    @Option(help: ArgumentHelp("Seconds to wait for the browser's redirect.", valueName: "seconds"))
    var timeout: Int = 300

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for Cloud Elements to answer.", valueName: "seconds"))
    var requestTimeout: Int = 60

    @Flag(name: .customLong("no-browser"), help: "Do not open a browser; only print the URL.")
    var noBrowser = false

    var options: LoginOptions {
        var options = LoginOptions(element: element)
        options.baseURL = cloudElements.baseURL
        options.environmentName = cloudElements.environmentName
        options.keyfile = keyfile.keyfile
        options.templatesDirectory = templateOptions.templates
        options.redirectURI = redirectURI
        options.scopes = scopes
        options.loginHint = loginHint
        options.name = name
        options.tags = tags
        options.eventsURL = eventsURL
        options.pollIntervalMinutes = pollInterval
        options.calendarID = calendarID
        options.timeoutSeconds = timeout
        options.requestTimeoutSeconds = requestTimeout
        options.openBrowser = !noBrowser
        return options
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let console = Console(environment: environment)
        let cancel = CancelSignal()
        let signals = Interrupts.forward(to: cancel)
        defer { signals.forEach { $0.cancel() } }
        try console.run {
            let library = try options.library(environment: environment)
            let plan = try options.makePlan(environment: environment, library: library)
            let verbose = output.verbose
            let flow = LoginFlow(plan: plan, transport: CurlTransport(), library: library,
                                 say: { console.say($0) }, log: { line in if verbose { console.say("ceauth: " + line) } },
                                 cancel: cancel)
            do {
                report(try flow.run(), plan: plan, console: console)
            } catch let notSaved as InstanceNotSaved {
                // Nothing may be lost: the token exists only here now.
                console.fail(notSaved)
                console.say("Keep these; they are not saved anywhere else:")
                console.say("  id:    \(notSaved.instance.id)")
                console.say("  token: \(notSaved.instance.token.value)")
                if output.json {
                    // A script reading stdout gets the instance too; "keyfile": null says it was not saved.
                    console.json(Self.json(notSaved.instance, baseURL: plan.baseURL.absoluteString, keyfile: nil, console: console))
                }
                throw ExitCode(ExitStatus.keyfile)
            }
        }
    }

    private func report(_ result: LoginResult, plan: LoginPlan, console: Console) {
        for warning in result.warnings { console.say("ceauth: warning: \(warning)") }
        let instance = result.instance
        console.say("Created \(instance.elementKey) instance '\(instance.name)' (id \(instance.id)); token saved to \(result.keyfilePath)")
        if output.json { console.json(Self.json(instance, baseURL: plan.baseURL.absoluteString, keyfile: result.keyfilePath, console: console)) }
    }

    /// The instance for scripts. The token is what they asked for; the name comes from Cloud
    /// Elements and may echo a secret, so it is redacted like any other text.
    static func json(_ instance: CreatedInstance, baseURL: String, keyfile: String?, console: Console) -> LosslessJSON {
        .object([
            .init("name", .string(JSONString(console.safe.redacted(instance.name)))),
            .init("id", .number(String(instance.id))),
            .init("token", .string(JSONString(instance.token.value))),
            .init("element", .string(JSONString(instance.elementKey))),
            .init("baseUrl", .string(JSONString(baseURL))),
            .init("keyfile", keyfile.map { .string(JSONString($0)) } ?? .literal("null")),
        ])
    }
}
