// Copies the SVG icons into dist/icons: tsc only emits .js/.d.ts. Every node and the credential point
// at the one pair there (file:../../icons/… from dist/nodes/<Node>/, file:../icons/… from dist/credentials/).
const { src, dest } = require('gulp');

function buildIcons() {
	return src(['icons/*.svg'], { base: '.', encoding: false }).pipe(dest('dist'));
}

exports['build:icons'] = buildIcons;
