import ArgumentParser
import CEAuthCore

struct Events: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show or change an instance's polling events at Cloud Elements, without a new consent.",
        discussion: """
        Without options: the events as Cloud Elements has them (enabled, callback URL, interval, resources polled). \
        --url (and --poll-interval, --calendar-id) enables or changes them with one PATCH /instances/{id}, the pollers \
        from the element's template as at login; what is not given stays as it is. --off turns them off, keeping the rest. \
        With CEAUTH_EVENTS_SIGNATURE_KEY set, Cloud Elements signs each event with it. Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET.
        Exit codes: 0 done; 11 Cloud Elements no longer has the instance; 4, 5, 7, 8 as for verify; 6 keyfile; 9 no such instance; 64 usage.
        """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var target: InstanceArgument

    @Option(help: ArgumentHelp("Enable events and send them to this URL.", valueName: "url"))
    var url: String?

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Polling interval in minutes.", valueName: "minutes"))
    var pollInterval: Int?

    @Option(name: .customLong("calendar-id"), help: ArgumentHelp("googlecalendar: poll this calendar.", valueName: "id"))
    var calendarID: String?

    @Flag(help: "Turn the events off (the callback URL and interval are kept).")
    var off = false

    @OptionGroup var templateOptions: TemplateOptions
    @OptionGroup var options: LiveOptions

    func validate() throws {
        if off && (url != nil || pollInterval != nil || calendarID != nil) {
            throw ValidationError("--off turns events off; drop --url, --poll-interval and --calendar-id (or drop --off)")
        }
    }

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: target.sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws {
        let live = try LiveTarget(target, context, options)
        let console = context.console
        let changing = off || url != nil || pollInterval != nil || calendarID != nil
        var current: InstanceEvents?
        if !off { current = InstanceEvents(configuration: LiveInstance.configuration(of: try live.fetch())) }
        guard changing else { return show(current!, of: live.instance, console: console) }
        let body = off ? LiveInstance.eventsOff
            : LiveInstance.configurationPatch(try EventsChange(url: url, pollInterval: pollInterval, calendarID: calendarID)
                .configuration(current: current!, template: try templateOptions.library(environment: context.environment)
                    .element(live.instance.element), environment: context.environment))
        if options.dryRun { return live.show(live.client.patchRequest(id: live.instance.id, body: body), on: console, json: options.json) }
        let answer = try live.client.patchInstance(id: live.instance.id, body: body)
        console.say("Changed the events of \(live.instance.summary) at Cloud Elements.")
        show(InstanceEvents(configuration: LiveInstance.configuration(of: answer)), of: live.instance, console: console)
    }

    private func show(_ events: InstanceEvents, of instance: KeyfileEntry, console: Console) {
        if options.json { return console.json(CommandJSON.instanceEvents(instance, events)) }
        console.print("events: \(events.enabled ? "on" : "off")")
        console.print("callback: \(events.callbackURL ?? "none")")
        console.print("interval: " + (events.intervalMinutes.map { "\($0) minutes" } ?? "not set"))
        console.print("signed: \(events.signed ? "yes" : "no")")
        for resource in events.resources { console.print("polls: \(resource.name) \(resource.url)") }
    }
}
