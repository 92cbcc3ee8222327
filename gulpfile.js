// Copies the SVG icons next to the compiled node and credential files: tsc only emits .js/.d.ts.
const { src, dest } = require('gulp');

function buildIcons() {
	return src(['nodes/**/*.svg', 'credentials/**/*.svg'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

exports['build:icons'] = buildIcons;
