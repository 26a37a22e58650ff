import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct URLCommand: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "url",
        abstract: "Print the authorization URL for ELEMENT, for a flow you run yourself; with --json also its state and redirect URI.",
        discussion: """
        Needs CEAUTH_CLIENT_ID. Without --redirect-uri, a free loopback port is chosen now: http://127.0.0.1:PORT/.
        Hand the code (or the address the browser was sent back to) to 'ceauth create' on standard input; check the state yourself.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @Argument(help: "The element: gmail or googlecalendar.", completion: Completions.elements)
    var element: String

    @Option(name: .customLong("redirect-uri"), help: ArgumentHelp("Where Google sends the browser back: https, or http to loopback.", valueName: "uri"))
    var redirectURI: String?

    @Option(name: .customLong("scope"), help: ArgumentHelp("OAuth scope instead of the element's (repeatable).", valueName: "scope"))
    var scopes: [String] = []

    @Option(name: .customLong("login-hint"), help: ArgumentHelp("Google account to preselect.", valueName: "email"))
    var loginHint: String?

    @OptionGroup var templateOptions: TemplateOptions

    @Flag(help: "Print {url, state, redirectUri} as JSON on stdout.")
    var json = false

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let template = try templateOptions.library(environment: environment).element(element)
        let link = try AuthorizationLink.make(template: template, environment: environment, redirectURI: redirectURI,
                                              scopes: scopes, loginHint: loginHint)
        if json {
            console.json(CommandJSON.link(url: link.url, state: link.state, redirectURI: link.redirectURI))
        } else {
            console.print(link.url)
        }
    }
}
