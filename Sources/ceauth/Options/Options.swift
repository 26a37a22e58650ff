import ArgumentParser
import CEAuthCore
import CEAuthSandbox
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the shells complete (bash, zsh, fish: ceauth --generate-completion-script SHELL).
enum Completions {
    /// The names and ids in the keyfile the command line names (--keyfile), or the default one.
    static let instances = CompletionKind.custom { arguments, _, prefix in
        let environment = ProcessInfo.processInfo.environment
        let flag = arguments.firstIndex(of: "--keyfile").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        guard let path = try? Settings.keyfilePath(flag: flag, environment: environment),
              let instances = try? KeyfileStore(path: path).instances() else { return [] }
        // Names are text of others' choosing: offered only in a form the shell cannot run.
        return CompletionWords.offer(instances.map(\.name) + instances.map { String($0.id) }, prefix: prefix,
                                     shell: environment["SAP_SHELL"])
    }

    /// The built-in elements and those of CEAUTH_TEMPLATES.
    static let elements = CompletionKind.custom { _, _, prefix in
        let options = LoginOptions(element: "")
        let library = (try? options.library(environment: ProcessInfo.processInfo.environment)) ?? .builtIn
        return library.elementKeys.filter { $0.hasPrefix(prefix) }
    }

    static let environments = CompletionKind.list(CloudElementsEnvironment.allCases.map(\.rawValue))
}

/// Where the keyfile is: every command that reads or writes it.
struct KeyfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The keyfile (also CEAUTH_KEYFILE; default ~/.config/ceauth/keys.json).", valueName: "path"),
            completion: .file(extensions: ["json"]))
    var keyfile: String?

    func path(environment: [String: String]) throws -> String {
        try Settings.keyfilePath(flag: keyfile, environment: environment)
    }
}

/// Which Cloud Elements API: every command that calls it.
struct CloudElementsOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: ArgumentHelp("Cloud Elements API base URL (also CEAUTH_BASE_URL).", valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("Cloud Elements environment: us, eu or staging.", valueName: "name"),
            completion: Completions.environments)
    var environmentName: String?
}

/// Extra or replacement element templates.
struct TemplateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A folder of extra or replacement templates (also CEAUTH_TEMPLATES).", valueName: "dir"),
            completion: .directory)
    var templates: String?

    func library(environment: [String: String]) throws -> TemplateLibrary {
        var options = LoginOptions(element: "")
        options.templatesDirectory = templates
        return try options.library(environment: environment)
    }
}

/// What a command prints: one JSON document on stdout for scripts, or words on stderr.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout (nothing else goes there).")
    var json = false

    @Flag(help: "Say more about each step on stderr (never secrets).")
    var verbose = false

    @Flag(help: "Print only errors on stderr (login still prints the URL to open).")
    var quiet = false
}

/// The profile of the config file every command reads its settings from.
struct ProfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The config file's profile to use (also CEAUTH_PROFILE; default: default).", valueName: "name"))
    var profile: String?
}

/// `--request-timeout` of list, verify and delete, checked as a usage error (exit 64).
func checkRequestTimeout(_ seconds: Int) throws {
    do { _ = try Defaults.check(seconds, Defaults.requestTimeoutRange, option: "--request-timeout") } catch { throw ValidationError("\(error)") }
}

/// `--sandbox`: run the command against emulated Google and Cloud Elements started inside it.
struct SandboxOptions: ParsableArguments {
    @Flag(help: "Use the sandbox: emulated Google and Cloud Elements on loopback, for this run only; no account needed, nothing real touched.")
    var sandbox = false

    /// --base-url and --env point elsewhere; with --sandbox they would be silently ignored.
    func check(_ cloudElements: CloudElementsOptions) throws {
        if sandbox && (cloudElements.baseURL != nil || cloudElements.environmentName != nil) {
            throw ValidationError("--sandbox runs its own Cloud Elements; drop --base-url/--env (or drop --sandbox)")
        }
    }
}

/// What a command works with: the effective environment (process environment over profile),
/// the profile itself, and the console built from it (so secrets a command printed are redacted).
/// With --sandbox, the running emulators and an environment that points at them.
struct CommandContext {
    var console: Console
    var environment: [String: String]
    var profile: Profile
    var sandbox: Sandbox?
    /// The process's side: its own environment (before the profile), streams, terminal.
    var io: CommandIO

    /// The instances this run may call: with --sandbox only the sandbox's, taken into this run's
    /// emulator and pointed at it; without, only the real ones (each sandbox entry skipped with
    /// one line: its old loopback port may now be another user's).
    func reachable(_ saved: [KeyfileEntry]) -> [KeyfileEntry] {
        if let sandbox { return sandbox.adopt(saved) }
        if SandboxSecrets.inUse(environment) { return saved }
        for entry in saved where entry.isSandbox {
            console.say("skipped: \(entry.summary) is a sandbox instance; check it with --sandbox")
        }
        return saved.filter { !$0.isSandbox }
    }

    /// One instance as this run calls it. With --sandbox a real instance is refused: its token
    /// never goes to the sandbox, and a sandbox run never calls real Cloud Elements. Without
    /// it, a sandbox instance is refused: its baseUrl is a loopback port that any local user may
    /// hold once the run that made it ended, and the real secrets must not go there. (With the
    /// sandbox's published secrets, as `ceauth sandbox` exports them, nothing real is sent.)
    func reach(_ instance: KeyfileEntry) throws -> KeyfileEntry {
        guard let sandbox else {
            if instance.isSandbox && !SandboxSecrets.inUse(environment) { throw InstanceUseError.sandboxInstance(instance.summary) }
            return instance
        }
        guard instance.isSandbox else { throw InstanceUseError.realInstance(instance.summary) }
        return sandbox.adopt([instance])[0]
    }
}

extension Console {
    /// Loads the settings, then runs the body; any error is printed through the filter (with
    /// every known secret) and becomes its documented exit code.
    static func run(_ setup: CommandSetup, io: CommandIO, _ body: (CommandContext) throws -> Void) throws {
        let process = io.environment
        var console = Console(environment: process, io: io)
        console.quiet = setup.quiet
        do {
            let loaded = setup.loadsProfile ? try Profile.load(flag: setup.profile, environment: process)
                : Profile(name: "default", values: [:], file: "")
            let timeout = try Settings.secretCommandTimeout(environment: process)
            // The sandbox's own secrets replace the profile's: its secret commands are not run.
            var (environment, _) = try Settings.effectiveEnvironment(process, profile: loaded, runCommands: setup.secrets && !setup.sandbox,
                                                                     commandTimeout: timeout)
            var running: Sandbox?
            if setup.sandbox {
                running = try Sandbox(consent: .ask)
                environment = running!.overriding(environment)
            }
            defer { running?.stop() }
            console = Console(environment: environment, io: io)
            console.quiet = setup.quiet
            if let running { console.say("Sandbox: emulated Google at \(running.google.baseURL), emulated Cloud Elements at \(running.cloudElements.baseURL) (this run only).") }
            try body(CommandContext(console: console, environment: environment, profile: loaded, sandbox: running, io: io))
        } catch let error as ExitCode {
            throw error
        } catch {
            console.fail(error)
            throw ExitCode(ExitStatus.code(for: error))
        }
    }
}

/// What the instance will be (login and create): its name, tags, polling events, and how long
/// to wait for Cloud Elements. The profile gives tags and the events URL when no flag does.
struct InstanceOptions: ParsableArguments {
    @OptionGroup var tokenStore: TokenStoreOption

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

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for Cloud Elements to answer.", valueName: "seconds"))
    var requestTimeout: Int = Defaults.requestTimeout

    /// These, and the shared groups, into login's options (the profile's defaults are the core's
    /// to apply: LoginOptions.applying(profile:)).
    func apply(to options: inout LoginOptions, cloudElements: CloudElementsOptions,
               keyfile: KeyfileOptions, templates: TemplateOptions) {
        options.baseURL = cloudElements.baseURL
        options.environmentName = cloudElements.environmentName
        options.keyfile = keyfile.keyfile
        options.templatesDirectory = templates.templates
        options.name = name
        options.tags = tags
        options.eventsURL = eventsURL
        options.pollIntervalMinutes = pollInterval
        options.calendarID = calendarID
        options.requestTimeoutSeconds = requestTimeout
        options.tokenStore = tokenStore.tokenStore
    }
}

/// Where a new token goes: login, create, adopt.
struct TokenStoreOption: ParsableArguments {
    @Option(name: .customLong("token-store"),
            help: ArgumentHelp("Where the instance token is kept: keyfile (default; scripts read it there) or secret-service (the desktop keyring; the entry says so and ceauth token reads it). Also the profile's 'token-store'.", valueName: "store"),
            completion: .list(TokenStore.allCases.map(\.rawValue)))
    var tokenStore: String?
}
