export function badge(path) { return '<span>' + path + '</span>'; }
