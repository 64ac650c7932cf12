// Package mmapfile reads large input files (source maps, bundles) by mapping them into memory on
// Linux and macOS: no copy into the heap, and the memory goes back to the system the moment the
// mapping is released, instead of staying in the process as a freed heap buffer would. resolve
// and upload read tens of megabytes this way; elsewhere files are read as usual (through rawfile).
package mmapfile
