#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the user asked for on the command line, before it is checked. The CLI fills this in;
/// `makePlan` turns it and the environment into a `LoginPlan` or a clear error.
public struct LoginOptions: Sendable {
    public var element: String
    public var baseURL: String?
    public var environmentName: String?
    public var keyfile: String?
    public var redirectURI: String?
    public var scopes: [String] = []
    public var loginHint: String?
    public var name: String?
    public var tags: [String] = []
    public var eventsURL: String?
    public var pollIntervalMinutes: Int?
    public var calendarID: String?
    public var timeoutSeconds: Int = Defaults.browserTimeout
    public var requestTimeoutSeconds: Int = Defaults.requestTimeout
    public var openBrowser = true
    public var templatesDirectory: String?
    /// `--update NAME|ID`: re-authorize this instance of the keyfile instead of creating one.
    public var update: String?
    /// `--paste`: also read the address the browser ended on from standard input.
    public var paste = false
    /// `--no-preflight` turns this off: a call to Cloud Elements before the browser opens.
    public var preflight = true
    /// `--exchange`: who redeems the code (`cloud-elements`, the default, or `local`).
    public var exchange: String?
    /// `--token-store`: where the new token goes (`keyfile` or `secret-service`); re-authorizing,
    /// the entry's own store unless given.
    public var tokenStore: String?

    public init(element: String) {
        self.element = element
    }

    /// The profile's login settings where no flag gave them: tags, events URL, redirect URI,
    /// code exchange. Re-authorizing (`update`), a PUT keeps the instance's own events and
    /// tags: only flags change them, never the profile's defaults for new instances.
    public func applying(profile: Profile) -> LoginOptions {
        var options = self
        options.redirectURI = redirectURI ?? profile.values["redirect-uri"]
        options.exchange = exchange ?? profile.values["exchange"]
        guard update == nil else { return options }
        options.tokenStore = tokenStore ?? profile.values["token-store"]
        if tags.isEmpty {
            options.tags = (profile.values["tags"] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        }
        options.eventsURL = eventsURL ?? profile.values["events-url"]
        return options
    }

    /// The template library: built in, overlaid by `--templates` or `CEAUTH_TEMPLATES`.
    public func library(environment: [String: String]) throws(TemplateError) -> TemplateLibrary {
        let directory = templatesDirectory ?? Settings.nonEmpty(environment[Settings.Variable.templates])
        guard let directory else { return .builtIn }
        return try TemplateLibrary.builtIn.overlaying(directory: URL(fileURLWithPath: directory))
    }

    /// Checks everything and builds the plan. Flags win over environment variables.
    public func makePlan(environment: [String: String], library: TemplateLibrary, now: Date = Date()) throws -> LoginPlan {
        let template = try library.element(element)

        // A CR from a file saved with Windows line endings would end the Authorization header
        // early (the HTTP client drops it silently); say which variable, never its value.
        try Settings.requireVariables([Settings.Variable.userSecret, Settings.Variable.orgSecret, Settings.Variable.clientID, Settings.Variable.clientSecret],
                                    environment: environment)

        let base = try Settings.baseURL(flag: baseURL, environmentName: environmentName, environment: environment)
        // Google's endpoints: the variable's value when set (tests, the sandbox), else the default.
        func endpoint(_ variable: String, default value: String, named name: String) throws -> URL {
            try Settings.endpoint(variable, default: value, named: name, environment: environment)
        }
        let authorize = try endpoint(Settings.Variable.authorizeURL, default: template.authorization.endpoint, named: "the template's authorization endpoint")

        guard let mode = CodeExchange(rawValue: exchange ?? CodeExchange.cloudElements.rawValue) else {
            throw ConfigurationError.invalidValue(option: "--exchange", reason: "'\(exchange ?? "")' is not a mode; give cloud-elements (Cloud Elements redeems the code) or local (ceauth redeems it, with PKCE)")
        }
        let tokenURL = try endpoint(Settings.Variable.tokenURL, default: GoogleEndpoints.token, named: "Google's token endpoint")
        let revokeURL = try endpoint(Settings.Variable.revokeURL, default: GoogleEndpoints.revoke, named: "Google's revocation endpoint")
        if mode == .local && template.tokenInstance == nil { throw TemplateError.noTokenInstance(element: template.key) }

        let redirect = try redirectURI.map { uri throws(ListenerError) in try LoopbackRedirect.parse(uri) } ?? .ephemeral

        _ = try Defaults.check(timeoutSeconds, Defaults.browserTimeoutRange, option: "--timeout")
        _ = try Defaults.check(requestTimeoutSeconds, Defaults.requestTimeoutRange, option: "--request-timeout")

        let scopeList = try Scopes.fromOptions(scopes)

        var events: EventsOptions?
        if let eventsURL {
            let url = try ServiceURL.validate(eventsURL, what: "--events-url")
            let interval = try Defaults.check(pollIntervalMinutes ?? Defaults.pollInterval, Defaults.pollIntervalRange,
                                              option: "--poll-interval", unit: "minutes")
            var parameters: [String: String] = [:]
            if let calendarID { parameters["calendarId"] = calendarID }
            events = EventsOptions(callbackURL: url.absoluteString, pollIntervalMinutes: interval, parameters: parameters,
                                   signatureKey: try Settings.eventsSignatureKey(environment: environment))
        } else if pollIntervalMinutes != nil || calendarID != nil {
            let option = pollIntervalMinutes != nil ? "--poll-interval" : "--calendar-id"
            throw ConfigurationError.conflictingOptions("\(option) configures polling events and needs --events-url URL (where Cloud Elements sends the events)")
        }

        if let name, name.trimmingWhitespace().isEmpty {
            throw ConfigurationError.invalidValue(option: "--name", reason: "the name is empty")
        }
        for tag in tags where tag.isEmpty {
            throw ConfigurationError.invalidValue(option: "--tag", reason: "a tag is empty")
        }

        let keyfilePath = try Settings.keyfilePath(flag: keyfile, environment: environment)

        // Re-authorizing: the instance must be in the keyfile, of this element; it is updated at
        // its own host, under its own name.
        var reauthorize: KeyfileEntry?
        var baseForPlan = base
        if let update {
            let found = try KeyfileReader.find(update, in: try KeyfileStore(path: keyfilePath).entries(matching: update), keyfile: keyfilePath)
            // Its current token (for the PUT) from where the entry keeps it.
            let saved = try TokenStore.resolve(found, keyring: { try SecretService(environment: environment) }).usable(keyfile: keyfilePath)
            // Its baseUrl is a loopback port any local user may hold once its run ended: neither
            // the secrets nor a code go there.
            guard !saved.isSandbox else {
                throw InstanceUseError.updateOfSandboxInstance(saved.summary, element: saved.element)
            }
            guard saved.element == template.key else {
                throw InstanceUseError.updateOfOtherElement(saved.summary, element: saved.element, query: update)
            }
            if name != nil {
                throw InstanceUseError.renameOnUpdate(name: saved.name)
            }
            let own = try saved.validatedBaseURL()
            let chosen = baseURL != nil || environmentName != nil || Settings.nonEmpty(environment[Settings.Variable.baseURL]) != nil
            if chosen && own.absoluteString != base.absoluteString {
                throw InstanceUseError.updateAtOtherHost(saved.summary, own: own.absoluteString, chosen: base.absoluteString)
            }
            reauthorize = saved
            baseForPlan = own
        }

        // The keyring is reached now, before the browser opens: a consent is the user's time.
        let store = try tokenStore.map { text throws(ConfigurationError) in try TokenStore.parse(text, option: "--token-store") }
            ?? (reauthorize?.tokenInSecretService == true ? .secretService : .keyfile)
        var keyring: SecretService?
        if store == .secretService || reauthorize?.tokenInSecretService == true {
            keyring = try SecretService.reached(environment: environment)
        }

        var plan = LoginPlan(
            template: template,
            credentials: CloudElementsCredentials(userSecret: Secret(environment[Settings.Variable.userSecret]!),
                                                  organizationSecret: Secret(environment[Settings.Variable.orgSecret]!)),
            clientID: environment[Settings.Variable.clientID]!,
            clientSecret: Secret(environment[Settings.Variable.clientSecret]!),
            baseURL: baseForPlan, authorizeURL: authorize, redirect: redirect,
            scopes: scopeList, loginHint: loginHint,
            name: reauthorize?.name ?? name ?? LoginPlan.defaultName(element: template.key, date: now), tags: tags, events: events,
            timeoutSeconds: Double(timeoutSeconds), requestTimeoutSeconds: Double(requestTimeoutSeconds),
            keyfilePath: keyfilePath, openBrowser: openBrowser, reauthorize: reauthorize, paste: paste, preflight: preflight,
            exchange: mode, tokenURL: tokenURL, revokeURL: revokeURL
        )
        (plan.tokenStore, plan.keyring) = (store, keyring)
        return plan
    }
}
