// Emoji shortcodes to characters: the ones incident-bot and the sample alerts use, and a few common others.
// An unknown :name: stays as typed, as Slack shows a custom emoji it cannot find.
export const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", raised_hand: "✋", no_entry: "⛔",
  no_entry_sign: "🚫", octagonal_sign: "🛑", stop_sign: "🛑", hourglass: "⌛", hourglass_flowing_sand: "⏳",
  grey_question: "❔", question: "❓", arrows_counterclockwise: "🔄", warning: "⚠️", rotating_light: "🚨",
  red_circle: "🔴", large_blue_circle: "🔵", large_green_circle: "🟢", large_yellow_circle: "🟡",
  large_orange_circle: "🟠", white_circle: "⚪", black_circle: "⚫", black_square_for_stop: "⏹️", lock: "🔒",
  unlock: "🔓", fire: "🔥", eyes: "👀", tada: "🎉", thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎",
  bell: "🔔", mag: "🔍", wrench: "🔧", hammer_and_wrench: "🛠️", rocket: "🚀", memo: "📝", link: "🔗",
  information_source: "ℹ️", bulb: "💡", chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉",
  robot_face: "🤖", pager: "📟", clock3: "🕒", calendar: "📅", package: "📦", gear: "⚙️", sparkles: "✨",
  boom: "💥", skull: "💀", heavy_multiplication_x: "✖️", arrow_right: "➡️",
  point_right: "👉", ok_hand: "👌", pray: "🙏", wave: "👋", speech_balloon: "💬", zap: "⚡", bug: "🐛",
};

const SHORTCODE = /:([a-z0-9_+'-]+):/g;

// Known shortcodes replaced by their characters (the result is still text for a text node, never HTML).
export function withEmoji(text) {
  return text.replace(SHORTCODE, (whole, name) => EMOJI[name] ?? whole);
}
